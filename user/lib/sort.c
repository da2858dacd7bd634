// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"

#define DIGITS 65536

int ew_sort_u64(uint64_t *a, size_t n, unsigned int bits)
{
	uint64_t *tmp, *src = a, *dst, *t;
	size_t *cnt;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	cnt = malloc(DIGITS * sizeof(*cnt));
	if (!tmp || !cnt) {
		free(tmp);
		free(cnt);
		return -ENOMEM;
	}
	dst = tmp;
	for (unsigned int shift = 0; shift < bits && shift < 64; shift += 16) {
		size_t sum = 0;

		memset(cnt, 0, DIGITS * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i] >> shift) & 0xffff]++;
		if (cnt[(src[0] >> shift) & 0xffff] == n)
			continue;
		for (size_t d = 0; d < DIGITS; d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i] >> shift) & 0xffff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
	free(cnt);
	return 0;
}

size_t ew_uniq_u64(uint64_t *a, size_t n)
{
	size_t o = 0;

	if (!n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (a[i] != a[o])
			a[++o] = a[i];
	return o + 1;
}
