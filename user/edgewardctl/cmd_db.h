/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgewardctl db migrate|status: apply sql/migrations to PostgreSQL and show
 * which are applied. Table entry for main.c:
 *   { "db", cmd_db, "apply and inspect the PostgreSQL schema", "db COMMAND [ARGS]",
 *     help_db }
 */
#ifndef EW_CMD_DB_H
#define EW_CMD_DB_H

extern const char help_db[];
int cmd_db(int argc, char **argv);

#endif
