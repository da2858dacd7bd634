// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live policy: one struct ew_policy in an inner map behind slot 0 of
 * ew_policy, and its CIDR sets in the LPM tries under the policy's
 * generation (include/edgeward/policy.h). A commit is all-or-nothing for
 * packets: new generation's entries first, one swap of the slot, then the
 * other generations' entries go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "maps.h"

/* The live inner policy map's fd, or -ENOENT when no policy is installed. */
static int live_policy_fd(struct ew_maps *m)
{
	__u32 zero = 0, id;
	int fd;

	if (bpf_map_lookup_elem(m->policy, &zero, &id) < 0)
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

static int live_policy(struct ew_maps *m, struct ew_policy *pol)
{
	__u32 zero = 0;
	int fd = live_policy_fd(m), ret = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, pol) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Every key of an LPM trie (no batch ops there): *out malloc'd, ksz bytes each. */
static int lpm_keys(int fd, size_t ksz, void **out, size_t *n)
{
	size_t cap = 256, cnt = 0;
	char *keys = malloc(cap * ksz), *nk;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!keys)
		return -ENOMEM;
	for (;;) {
		if (cnt == cap) {
			cap *= 2;
			nk = realloc(keys, cap * ksz);
			if (!nk) {
				ret = -ENOMEM;
				break;
			}
			keys = nk;
		}
		void *prev = cnt ? keys + (cnt - 1) * ksz : NULL;

		if (bpf_map_get_next_key(fd, prev, keys + cnt * ksz) < 0) {
			if (errno != ENOENT)
				ret = -errno;
			break;
		}
		cnt++;
	}
	if (ret) {
		free(keys);
		return ret;
	}
	*out = keys;
	*n = cnt;
	return 0;
}

static void hint_bit(__u64 *words, uint32_t b)
{
	words[b >> 6] |= 1ULL << (b & 63);
}

/* Mark the /16s (IPv4) or /32 buckets (IPv6) an allowlist entry can match. */
static void allow_hint(struct ew_policy *pol, const struct ew_cidr *c)
{
	uint32_t top = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 |
		       (uint32_t)c->addr[2] << 8 | c->addr[3];

	if (c->family == 4) {
		uint32_t first = top >> 16, n = c->plen >= 16 ? 1 : 1U << (16 - c->plen);

		for (uint32_t i = 0; i < n; i++)
			hint_bit(pol->allow4_16, first + i);
	} else if (c->plen < 32) {
		memset(pol->allow6_32, 0xff, sizeof(pol->allow6_32));
	} else {
		hint_bit(pol->allow6_32, ew_allow6_bucket(top));
	}
}

/* Count an ACL source, and keep the first EW_ACL_INLINE IPv4 ones inline. */
static void acl_count(struct ew_acl *a, const struct ew_cidr *c)
{
	uint32_t net, mask;

	if (a->n_cidrs < 0xffff)
		a->n_cidrs++;
	if (c->family != 4)
		return;
	if (a->n_inline4 == EW_ACL_INLINE) {
		a->flags &= ~EW_ACL_V4_INLINE;	/* more than fit: the LPM trie decides */
		return;
	}
	memcpy(&net, c->addr, 4);
	mask = c->plen ? htonl(~0U << (32 - c->plen)) : 0;
	a->net4[a->n_inline4] = net & mask;
	a->mask4[a->n_inline4++] = mask;
}

static int set_push(struct ew_compiled *out, size_t *cap, const struct ew_set_entry *se)
{
	if (out->n_sets == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct ew_set_entry *ns = realloc(out->sets, nc * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		out->sets = ns;
		*cap = nc;
	}
	out->sets[out->n_sets++] = *se;
	return 0;
}

int pol_read(struct ew_maps *m, struct ew_compiled *out)
{
	struct ew_lpm4_key *k4 = NULL;
	struct ew_lpm6_key *k6 = NULL;
	size_t n4 = 0, n6 = 0, cap = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	out->pol = malloc(sizeof(*out->pol));
	if (!out->pol)
		return -ENOMEM;
	ret = live_policy(m, out->pol);
	if (ret)
		goto out;
	ret = lpm_keys(m->lpm4, sizeof(*k4), (void **)&k4, &n4);
	if (!ret)
		ret = lpm_keys(m->lpm6, sizeof(*k6), (void **)&k6, &n6);
	if (ret)
		goto out;
	/* Only the live generation: older or failed commits may leave others behind. */
	for (size_t i = 0; i < n4 && !ret; i++) {
		struct ew_set_entry se = { .cidr.family = 4 };

		if (k4[i].gen_set >> 16 != out->pol->gen || k4[i].prefixlen < 32 ||
		    k4[i].prefixlen > 64)
			continue;
		se.set_id = k4[i].gen_set & 0xffff;
		se.cidr.plen = k4[i].prefixlen - 32;
		memcpy(se.cidr.addr, &k4[i].addr, 4);
		ret = set_push(out, &cap, &se);
	}
	for (size_t i = 0; i < n6 && !ret; i++) {
		struct ew_set_entry se = { .cidr.family = 6 };

		if (k6[i].gen_set >> 16 != out->pol->gen || k6[i].prefixlen < 32 ||
		    k6[i].prefixlen > 160)
			continue;
		se.set_id = k6[i].gen_set & 0xffff;
		se.cidr.plen = k6[i].prefixlen - 32;
		memcpy(se.cidr.addr, k6[i].addr, 16);
		ret = set_push(out, &cap, &se);
	}
out:
	free(k4);
	free(k6);
	if (ret) {
		free(out->pol);
		free(out->sets);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

static void lpm4_key_of(const struct ew_set_entry *se, __u32 gen, struct ew_lpm4_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + se->cidr.plen;
	k->gen_set = ew_gen_set(gen, se->set_id);
	memcpy(&k->addr, se->cidr.addr, 4);
}

static void lpm6_key_of(const struct ew_set_entry *se, __u32 gen, struct ew_lpm6_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + se->cidr.plen;
	k->gen_set = ew_gen_set(gen, se->set_id);
	memcpy(k->addr, se->cidr.addr, 16);
}

/*
 * Delete the LPM keys of generation gen (keep = false) or of every other
 * generation (keep = true). Best effort past the first error: returns it.
 */
static int lpm_prune(struct ew_maps *m, __u32 gen, bool keep)
{
	struct ew_lpm4_key *k4 = NULL;
	struct ew_lpm6_key *k6 = NULL;
	size_t n4 = 0, n6 = 0;
	int ret;

	ret = lpm_keys(m->lpm4, sizeof(*k4), (void **)&k4, &n4);
	if (!ret)
		ret = lpm_keys(m->lpm6, sizeof(*k6), (void **)&k6, &n6);
	for (size_t i = 0; i < n4; i++)
		if (((k4[i].gen_set >> 16) == gen) != keep &&
		    bpf_map_delete_elem(m->lpm4, &k4[i]) < 0 && errno != ENOENT && !ret)
			ret = -errno;
	for (size_t i = 0; i < n6; i++)
		if (((k6[i].gen_set >> 16) == gen) != keep &&
		    bpf_map_delete_elem(m->lpm6, &k6[i]) < 0 && errno != ENOENT && !ret)
			ret = -errno;
	free(k4);
	free(k6);
	return ret;
}

static int sets_check(const struct ew_compiled *c, char *err, size_t errlen)
{
	size_t n4 = 0, n6 = 0;

	for (size_t i = 0; i < c->n_sets; i++) {
		const struct ew_set_entry *se = &c->sets[i];
		struct ew_cidr t = se->cidr;
		char buf[EW_CIDR_STRLEN];

		if ((se->cidr.family != 4 && se->cidr.family != 6) ||
		    se->cidr.plen > (se->cidr.family == 4 ? 32 : 128) || se->set_id >= EW_ACL_MAX) {
			snprintf(err, errlen, "pol_commit: set entry %zu is invalid", i);
			return -EINVAL;
		}
		ew_cidr_mask(&t);
		if (memcmp(t.addr, se->cidr.addr, sizeof(t.addr))) {
			ew_cidr_format(&se->cidr, buf, sizeof(buf));
			snprintf(err, errlen, "pol_commit: %s has host bits set", buf);
			return -EINVAL;
		}
		if (se->set_id && !c->pol->acl[se->set_id].used) {
			snprintf(err, errlen, "pol_commit: CIDR for ACL %u, which is not in use",
				 se->set_id);
			return -EINVAL;
		}
		if (se->cidr.family == 4)
			n4++;
		else
			n6++;
	}
	if (n4 > EW_LPM4_MAX || n6 > EW_LPM6_MAX) {
		snprintf(err, errlen,
			 "pol_commit: too many CIDRs (%zu IPv4, %zu IPv6; at most %u each)", n4, n6,
			 EW_LPM4_MAX);
		return -E2BIG;
	}
	return 0;
}

/* The old and the new generation share the tries for the length of a commit. */
static int room_check(struct ew_maps *m, const struct ew_compiled *c, char *err, size_t errlen)
{
	size_t n4 = 0, n6 = 0, have4, have6;
	void *k4 = NULL, *k6 = NULL;
	int ret;

	ret = lpm_keys(m->lpm4, sizeof(struct ew_lpm4_key), &k4, &have4);
	if (!ret)
		ret = lpm_keys(m->lpm6, sizeof(struct ew_lpm6_key), &k6, &have6);
	free(k4);
	free(k6);
	if (ret) {
		snprintf(err, errlen, "pol_commit: read the CIDR sets: %s", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < c->n_sets; i++) {
		if (c->sets[i].cidr.family == 4)
			n4++;
		else
			n6++;
	}
	if (have4 + n4 > EW_LPM4_MAX || have6 + n6 > EW_LPM6_MAX) {
		snprintf(err, errlen,
			 "pol_commit: too many CIDRs: the live policy's (%zu IPv4, %zu IPv6) and "
			 "the new one's (%zu, %zu) must fit together in %u per family",
			 have4, have6, n4, n6, EW_LPM4_MAX);
		return -E2BIG;
	}
	return 0;
}

int pol_commit(struct ew_maps *m, struct ew_compiled *c, char *err, size_t errlen)
{
	struct ew_policy *pol = c->pol, old;
	__u32 zero = 0, gen;
	int inner = -1, ret;

	if (!pol) {
		snprintf(err, errlen, "pol_commit: no policy");
		return -EINVAL;
	}
	ret = sets_check(c, err, errlen);
	if (ret)
		return ret;
	ret = live_policy(m, &old);
	if (ret == -ENOENT)
		memset(&old, 0, sizeof(old));
	else if (ret) {
		snprintf(err, errlen, "pol_commit: read the live policy: %s", strerror(-ret));
		return ret;
	}
	gen = old.gen % 65535 + 1;

	/* Leftovers of a failed commit under the generation we are about to use. */
	ret = lpm_prune(m, gen, false);
	if (ret) {
		snprintf(err, errlen, "pol_commit: clear generation %u: %s", gen, strerror(-ret));
		return ret;
	}
	ret = room_check(m, c, err, errlen);
	if (ret)
		return ret;

	pol->abi_version = EW_ABI_VERSION;
	pol->gen = gen;
	pol->applied_unix = time(NULL);
	pol->n_allow = 0;
	memset(pol->allow4_16, 0, sizeof(pol->allow4_16));
	memset(pol->allow6_32, 0, sizeof(pol->allow6_32));
	for (int i = 0; i < EW_ACL_MAX; i++) {
		pol->acl[i].n_cidrs = 0;
		pol->acl[i].n_inline4 = 0;
		pol->acl[i].flags = EW_ACL_V4_INLINE;
	}
	for (size_t i = 0; i < c->n_sets; i++) {
		const struct ew_set_entry *se = &c->sets[i];
		__u8 one = 1;

		if (se->set_id == 0) {
			pol->n_allow++;
			allow_hint(pol, &se->cidr);
		}
		else
			acl_count(&pol->acl[se->set_id], &se->cidr);
		if (se->cidr.family == 4) {
			struct ew_lpm4_key k;

			lpm4_key_of(se, gen, &k);
			ret = bpf_map_update_elem(m->lpm4, &k, &one, BPF_ANY);
		} else {
			struct ew_lpm6_key k;

			lpm6_key_of(se, gen, &k);
			ret = bpf_map_update_elem(m->lpm6, &k, &one, BPF_ANY);
		}
		if (ret < 0) {
			char buf[EW_CIDR_STRLEN];

			ret = -errno;
			ew_cidr_format(&se->cidr, buf, sizeof(buf));
			snprintf(err, errlen, "pol_commit: insert %s: %s", buf, strerror(-ret));
			goto undo;
		}
	}

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ew_policy_in", 4, sizeof(*pol), 1, NULL);
	if (inner < 0) {
		ret = -errno;
		snprintf(err, errlen, "pol_commit: create the policy map: %s", strerror(-ret));
		goto undo;
	}
	if (bpf_map_update_elem(inner, &zero, pol, BPF_ANY) < 0) {
		ret = -errno;
		snprintf(err, errlen, "pol_commit: write the policy map: %s", strerror(-ret));
		goto undo;
	}
	/* The swap: packets see the old policy or the new one, never a mix. */
	if (bpf_map_update_elem(m->policy, &zero, &inner, BPF_ANY) < 0) {
		ret = -errno;
		snprintf(err, errlen, "pol_commit: swap the policy: %s", strerror(-ret));
		goto undo;
	}
	close(inner);

	/*
	 * Every other generation is stale now: the previous one and any failed
	 * commit's. The policy is live whatever happens here: entries left
	 * behind match no packet (wrong generation) and the next commit retries.
	 */
	lpm_prune(m, gen, true);
	return 0;

undo:
	if (inner >= 0)
		close(inner);
	lpm_prune(m, gen, false);
	pol->gen = old.gen;
	return ret;
}
