/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Applying a whole policy document to the live maps, all or nothing: the
 * document's blocks become the policy-owned blocks (origin "policy"; blocks
 * of other origins listed in the document are left exactly as they are),
 * policy blocks the document no longer lists are removed, then the compiled
 * policy is swapped in one update. Any failure undoes the block changes made
 * so far. Used by `edgewardctl apply` and by edgewardd for its config file.
 */
#ifndef EW_APPLY_H
#define EW_APPLY_H

#include <jansson.h>
#include <stdbool.h>

#include "maps.h"
#include "policy_doc.h"

struct ew_apply_report {
	json_t *added, *updated, *removed, *kept;	/* arrays of CIDR strings */
	unsigned int generation;			/* the new policy's, when committed */
	bool loaded;					/* maps were given (dry runs may lack them) */
};

/*
 * m NULL: nothing is loaded, only a dry run can be asked for (the report
 * lists the document's blocks as added). dry: plan and report, change
 * nothing. err gets one line naming what failed and saying whether anything
 * changed. Returns 0 or a negative errno; the report is filled in both cases
 * as far as planning went (ew_apply_report_free it).
 */
int ew_policy_apply(struct ew_maps *m, const struct ew_policy_doc *doc, bool dry,
		    struct ew_apply_report *rep, char *err, size_t errlen);
void ew_apply_report_free(struct ew_apply_report *rep);

#endif
