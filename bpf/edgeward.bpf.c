// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * edgeward XDP filter: one entry, one line per stage, in the packet's order:
 * parse -> malformed/bogon -> allowlist -> blocklist -> service ACL ->
 * rate limit -> default policy. Every packet ends in exactly one reason
 * counter (ew_verdict). The allowlist, which overrides the stages after it,
 * is looked up only when one of them would drop (ew_judge).
 *
 * The parser is inlined into the entry (it needs packet pointers); the rule
 * stages and the verdict are global functions, each verified once instead of
 * once per parser path, which keeps the verifier's work far below its limit.
 */
#include "lib/common.h"
#include "lib/policy.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/blocklist.h"
#include "lib/ratelimit.h"

static __always_inline int ew_blocked(const struct ew_pkt *p)
{
	if (p->family == 4)
		return ew_bl4_match(p->saddr[0]);
	return ew_bl6_match(p->saddr[0], p->saddr[1], p->saddr[2], p->saddr[3]);
}

/* Blocklist, service ACL, rate limit and default policy. */
static __always_inline int ew_rules(struct ew_pkt *p, const struct ew_policy *pol)
{
	const struct ew_port *port;

	if (ew_blocked(p))
		return EW_R_BLOCKLIST;
	if (!pol)
		return EW_R_PASS;
	port = ew_port_of(p, pol);	/* 0 for non-first fragments and portless protocols */
	if (ew_acl_denies(p, pol, port))
		return EW_R_ACL;
	if (!ew_rl_allow(p, pol, port))
		return EW_R_RATELIMIT;
	if (ew_default_denies(p, pol, port))
		return EW_R_DEFAULT_DENY;
	return EW_R_PASS;
}

/*
 * The rule stages, after a successful parse. Returns the packet's reason.
 * The allowlist overrides every later stage; it is consulted only when one
 * of them would drop, so that allowed traffic does not pay its LPM lookup.
 * An allowlisted source is still charged by a rate limiter it passes.
 */
__noinline int ew_judge(struct ew_pkt *p)
{
	const struct ew_policy *pol = ew_policy_get();
	int r;

	if (!p)
		return EW_R_BAD_IP4;
	if (pol && (pol->flags & EW_POL_BOGONS) && ew_is_bogon(p))
		return EW_R_BOGON;
	if (pol && (pol->flags & EW_POL_V4MAPPED) && ew_is_v4mapped(p))
		return EW_R_V4MAPPED;
	r = ew_rules(p, pol);
	if (r != EW_R_PASS && pol && pol->n_allow && ew_allow_maybe(p, pol) && ew_in_set(p, pol, 0))
		return EW_R_PASS_ALLOW;
	return r;
}

/* Other ethertypes pass or drop by policy. */
static __always_inline int ew_l2_policy(void)
{
	const struct ew_policy *pol = ew_policy_get();

	return pol && (pol->flags & EW_POL_NONIP_DROP) ? EW_R_DROP_L2 : EW_R_PASS_L2;
}

SEC("xdp.frags")
int ew_xdp(struct xdp_md *ctx)
{
	struct ew_cur c = {
		.data = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ew_pkt p = {
		.len = bpf_xdp_get_buff_len(ctx),
		.linear = c.end - c.data,
	};
	int r;

	r = ew_parse(ctx, &c, &p);
	if (r == EW_R_PASS_L2)
		r = ew_l2_policy();
	if (r == EW_R_PASS)
		r = ew_judge(&p);
	return ew_verdict(ctx, &p, r);
}

char _license[] SEC("license") = "Dual BSD/GPL";
