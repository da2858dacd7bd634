/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy document: what a YAML policy file (edgewardctl apply FILE)
 * says, validated, and its compiled form, struct ew_policy plus the CIDR
 * sets, ready to be committed to the kernel maps in one step.
 *
 * YAML shape (examples/edgeward.yaml is the reference):
 *
 *   version: 1
 *   default: { tcp: deny|allow, udp: deny|allow, icmp: deny|allow,
 *              bogons: drop|allow, v4mapped: drop|allow, non_ip: drop|allow }
 *   open: [80/tcp, 443/tcp, 8/icmp]
 *   allow: [192.0.2.10/32, 2001:db8::/48]
 *   acl:
 *     - port: 22/tcp
 *       from: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
 *   ratelimit:
 *     - name: http
 *       ports: [80/tcp, 443/tcp]
 *       rate: 25/min
 *       burst: 100
 *       count: conn|pkt
 *   block:
 *     - cidr: 203.0.113.0/24
 *       reason: "text"
 *       ttl: 1h            (optional; default never)
 *   events: { sample: 1, max_per_sec: 100 }
 *
 * Every key is optional except version; unknown keys, duplicate keys, wrong
 * types and bad values are errors reported as "FILE:LINE:COL: message".
 * Within list items, acl port/from, ratelimit name/ports/rate/burst and
 * block cidr are required; count defaults to pkt, reason to "". Anchors,
 * aliases and tags are refused; ports always name their protocol.
 *
 * The same document can sit inside another YAML file (the daemon's config
 * has it under "network:"): ew_yaml_load reads any file into the tree below,
 * with the same refusals and positions, and ew_policy_doc_parse takes the
 * policy from one node of it.
 */
#ifndef EW_POLICY_DOC_H
#define EW_POLICY_DOC_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "edgeward/blocklist.h"
#include "edgeward/policy.h"
#include "parse.h"

struct ew_acl_doc {
	struct ew_portspec port;
	struct ew_cidr *from;
	size_t n_from;
	int line;
};

struct ew_rl_doc {
	char name[EW_NAME_LEN];
	struct ew_portspec *ports;
	size_t n_ports;
	uint32_t rate, period_s, burst;
	bool count_conn;
	int line;
};

struct ew_block_doc {
	struct ew_cidr cidr;
	uint64_t ttl_ns;	/* 0 = never expires */
	char reason[EW_REASON_TEXT_LEN];
	int line;
};

struct ew_policy_doc {
	uint32_t flags;		/* EW_POL_* */
	uint32_t ev_sample;	/* default 1 */
	uint32_t ev_max_per_s;	/* default 100 */
	struct ew_portspec *open;
	size_t n_open;
	struct ew_cidr *allow;
	size_t n_allow;
	struct ew_acl_doc *acl;
	size_t n_acl;
	struct ew_rl_doc *rl;
	size_t n_rl;
	struct ew_block_doc *block;
	size_t n_block;
};

/*
 * A YAML file as a tree. Read with libyaml's event API (not its document
 * API, which resolves aliases silently), so anchors, aliases and tags are
 * refused where they appear, nesting and node count are bounded, and every
 * node keeps its position for messages.
 */
enum ew_ytype { EW_Y_SCALAR, EW_Y_SEQ, EW_Y_MAP };

struct ew_ynode {
	enum ew_ytype type;
	int line, col;		/* 1-based, as an editor counts */
	bool plain;		/* scalar without quotes: the only style numbers may use */
	char *str;		/* scalar text; NUL-free (checked) */
	struct ew_ynode **kids;	/* sequence items; mapping key, value, key, value... */
	size_t n, cap;
};

/*
 * Read path (at most 16 MiB, UTF-8, one document) into *root (NULL for an
 * empty stream). what names the kind of file in messages ("config file");
 * max_depth bounds nesting (1..64; the root is at depth 0, a scalar in a
 * list in a mapping at 2). st, if non-NULL, gets the fstat of the file as it
 * was read. Errors as ew_policy_doc_load.
 */
int ew_yaml_load(const char *path, const char *what, int max_depth, struct ew_ynode **root,
		 struct stat *st, char *err, size_t errlen);
/* The same from memory (JSON is read as YAML's flow style); name stands for the file. */
int ew_yaml_load_mem(const char *name, const char *what, int max_depth, const char *buf,
		     size_t len, struct ew_ynode **root, char *err, size_t errlen);
void ew_ynode_free(struct ew_ynode *n);
/* A plain empty, "~" or "null" scalar: YAML's null. */
bool ew_ynode_is_null(const struct ew_ynode *n);

/* Defaults: tcp allow, udp allow, icmp allow, bogons allow, v4mapped drop, non_ip allow. */
void ew_policy_doc_init(struct ew_policy_doc *doc);
void ew_policy_doc_free(struct ew_policy_doc *doc);

/*
 * Load and validate a YAML policy file. force allows CIDRs of length 0
 * (0.0.0.0/0, ::/0) in allow/acl/block, which are refused otherwise. Host
 * bits are canonicalised with a warning written to warn (if non-NULL), one
 * "FILE:LINE:COL: warning: ..." line each. Returns 0, -EINVAL for bad
 * content, -EFBIG over 16 MiB, -ENOMEM or the -errno of open/read; on
 * failure *doc is left initialised and empty.
 */
int ew_policy_doc_load(const char *path, bool force, struct ew_policy_doc *doc, FILE *warn,
		       char *err, size_t errlen);
/*
 * The same from node, a mapping inside a larger YAML file read by
 * ew_yaml_load (file is its name, for messages). version is optional there;
 * the mapping's own messages call it "network"; CIDRs of length 0 are refused
 * unless force. Same results as ew_policy_doc_load.
 */
int ew_policy_doc_parse(const char *file, const struct ew_ynode *node, bool force,
			struct ew_policy_doc *doc, FILE *warn, char *err, size_t errlen);

/* One CIDR of a set: set 0 is the allowlist, 1..255 the ACL of that id. */
struct ew_set_entry {
	struct ew_cidr cidr;
	uint16_t set_id;
};

struct ew_compiled {
	struct ew_policy *pol;		/* malloc'd (532 kB); gen is set at commit */
	struct ew_set_entry *sets;	/* malloc'd */
	size_t n_sets;
};

/*
 * Compile a document into kernel form: ports table, ACL ids (in document
 * order from 1), rate-limit classes (from 1), flags, event settings.
 * Rejects overlapping ACL port ranges, a port in two rate-limit classes,
 * too many ACLs/classes/CIDRs, duplicate class names, with a message naming
 * the item (and its line when it came from a file).
 */
int ew_policy_compile(const struct ew_policy_doc *doc, struct ew_compiled *out, char *err,
		      size_t errlen);
/* The reverse, for read-modify-write edits from the CLI (blocks are not part of it). */
int ew_policy_decompile(const struct ew_compiled *in, struct ew_policy_doc *doc, char *err,
			size_t errlen);
void ew_compiled_free(struct ew_compiled *c);

#endif
