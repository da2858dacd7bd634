/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardctl audit: list, filter and verify the audit journal
 * (user/lib/journal.h). Table entry for main.c:
 *   { "audit", cmd_audit, "list and verify the audit journal",
 *     "audit [list|verify|append] [OPTIONS]", help_audit }
 */
#ifndef EW_CMD_AUDIT_H
#define EW_CMD_AUDIT_H

extern const char help_audit[];
int cmd_audit(int argc, char **argv);

#endif
