// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test packet builder and runner (see pkt.h). The builder writes every
 * header honestly first (lengths, checksums, next-header chain), then
 * applies the spec's overrides, so a row says only what it lies about.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "maps.h"
#include "parse.h"
#include "pkt.h"

/* A field's value: PKT_SET(x) gives x, 0 gives the default, anything else itself. */
static int val(int field, int dflt)
{
	if (field & PKT_EXPLICIT)
		return field & ~PKT_EXPLICIT;
	return field ? field : dflt;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint16_t pkt_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pkt_ip4_fix_csum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0xf) * 4;

	if (hlen < 20)
		hlen = 20;
	ip[10] = ip[11] = 0;
	put16(ip + 10, pkt_csum(ip, hlen, 0));
}

static int ext_number(const struct pkt_ext *e)
{
	switch (e->type) {
	case PKT_HOP:
		return 0;
	case PKT_RT:
		return 43;
	case PKT_FRAG:
		return 44;
	case PKT_AH:
		return 51;
	case PKT_DST:
		return 60;
	case PKT_RAW:
		return e->num;
	}
	return -1;
}

/* Fill n bytes of TLV options with Pad1/PadN so that a real parser accepts them. */
static void pad_options(uint8_t *p, int n)
{
	while (n > 0) {
		if (n == 1) {
			*p = 0;		/* Pad1 */
			return;
		}
		int k = n - 2 > 255 ? 255 : n - 2;

		/* Never leave a single byte behind a PadN: it would need a Pad1 anyway. */
		if (n - 2 - k == 1)
			k--;
		p[0] = 1;		/* PadN */
		p[1] = k;
		memset(p + 2, 0, k);
		p += 2 + k;
		n -= 2 + k;
	}
}

/* Write extension header e at p; returns its length. */
static int build_ext(const struct pkt_ext *e, uint8_t *p, int next)
{
	int len, n;

	switch (e->type) {
	case PKT_HOP:
	case PKT_DST:
	case PKT_RAW:
		n = val(e->len, 0);
		len = (n + 1) * 8;
		p[1] = n;
		pad_options(p + 2, len - 2);
		break;
	case PKT_RT:
		n = val(e->len, 2);
		len = (n + 1) * 8;
		memset(p, 0, len);
		p[1] = n;
		p[2] = val(e->rt_type, 4);
		p[3] = e->rt_left;
		/* Addresses (or segments): 2001:db8::N */
		for (int i = 8; i + 16 <= len; i += 16) {
			p[i] = 0x20;
			p[i + 1] = 0x01;
			p[i + 2] = 0x0d;
			p[i + 3] = 0xb8;
			p[i + 15] = (i - 8) / 16 + 1;
		}
		break;
	case PKT_FRAG:
		len = 8;
		p[1] = 0;
		put16(p + 2, (unsigned int)(e->frag_off & 0x1fff) << 3 | (e->m ? 1 : 0));
		put32(p + 4, 0x12345678);
		break;
	case PKT_AH:
		n = val(e->len, 4);
		len = (n + 2) * 4;
		memset(p, 0, len);
		p[1] = n;
		if (len >= 12) {
			put32(p + 4, 0x1000);	/* SPI */
			put32(p + 8, 1);	/* sequence */
		}
		break;
	default:
		return -EINVAL;
	}
	p[0] = e->nh ? val(e->nh, 0) : next;
	return len;
}

/* Sum of the pseudo-header for L4 checksums. */
static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, int proto,
			   uint32_t l4len)
{
	uint32_t sum = 0;
	int alen = family == 4 ? 4 : 16;

	for (int i = 0; i < alen; i += 2) {
		sum += (uint32_t)src[i] << 8 | src[i + 1];
		sum += (uint32_t)dst[i] << 8 | dst[i + 1];
	}
	sum += proto;
	sum += l4len >> 16;
	sum += l4len & 0xffff;
	return sum;
}

int pkt_build(const struct pkt_spec *s, uint8_t *buf, struct pkt_layout *lay)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 }, smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t saddr[16] = { 0 }, daddr[16] = { 0 };
	int family = s->family ? s->family : 4;
	int proto = val(s->proto, IPPROTO_TCP);
	int off, l3, l4 = -1, l4hlen = 0, end, n_ext = 0, i, first_nh;
	struct pkt_layout tmp;

	if (!lay)
		lay = &tmp;
	memset(lay, 0xff, sizeof(*lay));	/* -1 everywhere */
	lay->n_ext = 0;
	memset(buf, 0, PKT_MAX_LEN);
	if (s->vlans < 0 || s->vlans > PKT_MAX_VLAN || s->opt_len < 0 || s->opt_len > 40 ||
	    s->payload < 0 || s->frame_len > PKT_MAX_LEN || s->pad_to > PKT_MAX_LEN)
		return -EINVAL;
	if (family != 4 && family != 6 && family != PKT_NOIP)
		return -EINVAL;
	if (family == 4 || family == 6) {
		const char *src = s->src ? s->src : family == 4 ? "198.18.0.10" : "2001:db8:1::10";
		const char *dst = s->dst ? s->dst : family == 4 ? "192.0.2.1" : "2001:db8::1";

		if (inet_pton(family == 4 ? AF_INET : AF_INET6, src, saddr) != 1 ||
		    inet_pton(family == 4 ? AF_INET : AF_INET6, dst, daddr) != 1)
			return -EINVAL;
	}

	/* Ethernet and VLAN tags: the parser sees a 14-byte header, then 4-byte tags. */
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	off = 12;
	for (i = 0; i < s->vlans; i++) {
		put16(buf + off, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16(buf + off + 2, 100 + i);	/* TCI: VLAN id 100 + i */
		lay->vlan[i] = off + 2;
		off += 4;
	}
	put16(buf + off, s->ethertype ? val(s->ethertype, 0) :
			 family == 4 ? 0x0800 : family == 6 ? 0x86dd : 0x88b5);
	off += 2;
	l3 = off;
	if (family != PKT_NOIP)
		lay->l3 = l3;

	if (family == PKT_NOIP) {
		lay->pay = off;
		end = off + s->payload;
		goto size;
	}

	/* IP header; lengths and checksum are filled in at the end. */
	if (family == 4) {
		int olen = (s->opt_len + 3) & ~3;

		buf[l3 + 1] = 0;
		put16(buf + l3 + 4, 0x1234);
		buf[l3 + 8] = val(s->ttl, 64);
		buf[l3 + 9] = proto;
		memcpy(buf + l3 + 12, saddr, 4);
		memcpy(buf + l3 + 16, daddr, 4);
		memcpy(buf + l3 + 20, s->opt, s->opt_len);	/* the rest stays 0: EOL */
		if (olen)
			lay->opt = l3 + 20;
		off = l3 + 20 + olen;
	} else {
		buf[l3 + 7] = val(s->ttl, 64);
		memcpy(buf + l3 + 8, saddr, 16);
		memcpy(buf + l3 + 24, daddr, 16);
		off = l3 + 40;
		while (n_ext < PKT_MAX_EXT && s->ext[n_ext].type != PKT_EXT_END)
			n_ext++;
		first_nh = n_ext ? ext_number(&s->ext[0]) : proto;
		buf[l3 + 6] = first_nh;
		for (i = 0; i < n_ext; i++) {
			int next = i + 1 < n_ext ? ext_number(&s->ext[i + 1]) : proto;
			int len;

			if (off + 2048 + 8 > PKT_MAX_LEN)
				return -EINVAL;
			lay->ext[i] = off;
			len = build_ext(&s->ext[i], buf + off, next);
			if (len < 0)
				return len;
			off += len;
		}
		lay->n_ext = n_ext;
	}

	/* L4 header */
	l4 = off;
	switch (proto) {
	case IPPROTO_TCP: {
		int doff = val(s->doff, 5);
		int flags = val(s->flags, 0x02);

		l4hlen = doff >= 5 ? doff * 4 : 20;
		put16(buf + l4, val(s->sport, 40000));
		put16(buf + l4 + 2, val(s->dport, 80));
		put32(buf + l4 + 4, 1000);
		put32(buf + l4 + 8, flags & 0x10 ? 2000 : 0);
		buf[l4 + 12] = (doff & 0xf) << 4;
		buf[l4 + 13] = flags;
		put16(buf + l4 + 14, 65535);
		memset(buf + l4 + 20, 1, l4hlen - 20);	/* NOP options */
		break;
	}
	case IPPROTO_UDP:
		l4hlen = 8;
		put16(buf + l4, val(s->sport, 40000));
		put16(buf + l4 + 2, val(s->dport, 80));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4hlen = 8;
		buf[l4] = val(s->icmp_type, proto == IPPROTO_ICMP ? 8 : 128);
		buf[l4 + 1] = s->icmp_code;
		put32(buf + l4 + 4, 0x00010001);	/* id 1, sequence 1 */
		break;
	default:
		l4hlen = 0;	/* no L4 header: payload only */
		break;
	}
	lay->l4 = l4;
	lay->pay = l4 + l4hlen;
	end = l4 + l4hlen + s->payload;

size:
	if (s->frame_len > end)
		end = s->frame_len;
	if (end > PKT_MAX_LEN)
		return -EINVAL;
	for (i = lay->pay; i < end; i++)
		buf[i] = (uint8_t)(i * 7 + 1);	/* payload: not zeros, not headers */

	if (family == 4) {
		int ihl = val(s->ihl, 5 + ((s->opt_len + 3) & ~3) / 4);
		unsigned int frag = (unsigned int)s->frag & 0x1fff;

		buf[l3] = (val(s->version, 4) & 0xf) << 4 | (ihl & 0xf);
		put16(buf + l3 + 2, val(s->tot_len, end - l3));
		put16(buf + l3 + 6, frag | (s->mf ? 0x2000 : 0) | (s->df ? 0x4000 : 0));
		/* The checksum covers the header as the builder wrote it (ihl may lie). */
		buf[l3 + 10] = buf[l3 + 11] = 0;
		put16(buf + l3 + 10, pkt_csum(buf + l3, (ihl >= 5 ? ihl : 5) * 4, 0));
	} else if (family == 6) {
		buf[l3] = (val(s->version, 6) & 0xf) << 4;
		put16(buf + l3 + 4, val(s->tot_len, end - l3 - 40));
	}

	/* L4 checksums over the whole segment as built (before any cut). */
	if (family != PKT_NOIP && l4hlen) {
		uint32_t l4len = end - l4;
		uint32_t sum = 0;
		int ck;

		if (proto == IPPROTO_UDP)
			put16(buf + l4 + 4, val(s->udp_len, l4len));
		if (proto == IPPROTO_TCP)
			ck = 16;
		else if (proto == IPPROTO_UDP)
			ck = 6;
		else
			ck = 2;
		if (proto != IPPROTO_ICMP)
			sum = pseudo_sum(family, saddr, daddr, proto, l4len);
		put16(buf + l4 + ck, 0);
		put16(buf + l4 + ck, pkt_csum(buf + l4, l4len, sum));
	}

	/* Ethernet padding beyond the IP datagram (not counted in its length). */
	if (s->pad_to > end) {
		memset(buf + end, 0, s->pad_to - end);
		end = s->pad_to;
	}

	if (s->cut_at) {
		int base;

		switch (s->cut_at) {
		case PKT_AT_ABS:
			base = 0;
			break;
		case PKT_AT_VLAN:
			base = 14;
			break;
		case PKT_AT_L3:
			base = l3;
			break;
		case PKT_AT_OPT:
			base = l3 + 20;
			break;
		case PKT_AT_L4:
			base = l4;
			break;
		case PKT_AT_PAY:
			base = lay->pay;
			break;
		default:
			if (s->cut_at < PKT_AT_EXT0 || s->cut_at >= PKT_AT_EXT0 + n_ext)
				return -EINVAL;
			base = lay->ext[s->cut_at - PKT_AT_EXT0];
		}
		if (base < 0 || base + s->cut < 0)
			return -EINVAL;
		if (base + s->cut < end)
			end = base + s->cut;
	}
	lay->len = end;
	return end;
}

const char *pkt_describe(const struct pkt_spec *s, char *buf, size_t len)
{
	int family = s->family ? s->family : 4;

	if (family == PKT_NOIP)
		snprintf(buf, len, "non-IP ethertype 0x%04x, %d vlan(s)", val(s->ethertype, 0x88b5),
			 s->vlans);
	else
		snprintf(buf, len, "IPv%d %s -> %s proto %d dport %d, %d vlan(s)", family,
			 s->src ? s->src : "(default)", s->dst ? s->dst : "(default)",
			 val(s->proto, 6), val(s->dport, 80), s->vlans);
	return buf;
}

/* ---- running ---- */

int pkt_run(int prog_fd, const void *frame, uint32_t len, uint32_t linear, uint32_t repeat,
	    uint32_t *retval)
{
	struct xdp_md ctx = { .data = 0, .data_end = linear };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = repeat ? repeat : 1);
	int r;

	/* ctx.data_end sets the linear part's size (kernel >= 6.18); absent = the default. */
	if (linear) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	r = bpf_prog_test_run_opts(prog_fd, &opts);
	if (r)
		return -errno;
	*retval = opts.retval;
	return 0;
}

int pkt_stats(struct ew_maps *m, struct ew_counter c[EW_R_MAX])
{
	return stats_read(m, c);
}

const char *pkt_reason_name(int reason)
{
	if (reason < 0)
		return "(none)";
	return ew_reason_name(reason);
}

int pkt_stats_moved(const struct ew_counter before[EW_R_MAX], const struct ew_counter after[EW_R_MAX],
		    uint64_t packets, uint64_t bytes, char *why, size_t whylen)
{
	int moved = -1, n = 0, r;
	size_t used = 0;

	why[0] = '\0';
	for (r = 0; r < EW_R_MAX; r++) {
		uint64_t dp = after[r].packets - before[r].packets;
		uint64_t db = after[r].bytes - before[r].bytes;

		if (!dp && !db)
			continue;
		if (n++ == 0)
			moved = r;
		if (used < whylen)
			used += snprintf(why + used, whylen - used, "%s%s +%llu pkts +%llu bytes",
					 used ? ", " : "", pkt_reason_name(r),
					 (unsigned long long)dp, (unsigned long long)db);
	}
	if (n == 0) {
		snprintf(why, whylen, "no reason counter moved");
		return -1;
	}
	if (n > 1)
		return -1;
	if (after[moved].packets - before[moved].packets != packets ||
	    after[moved].bytes - before[moved].bytes != bytes) {
		if (used < whylen)
			snprintf(why + used, whylen - used, " (expected +%llu pkts +%llu bytes)",
				 (unsigned long long)packets, (unsigned long long)bytes);
		return -1;
	}
	why[0] = '\0';
	return moved;
}
