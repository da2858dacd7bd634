// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl: the operator's tool. Every data-plane command is an
 * operation of ops.h, sent to edgewardd (its root-only Unix socket, or
 * --server https://HOST:PORT with the token of 'edgewardctl login'); when
 * the daemon is down, local root runs the same operation on the pinned maps
 * itself (emergency mode, each change recorded in the audit journal). This
 * file holds the global options and the command table; cmd_<noun>.c hold
 * the handlers.
 */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd_audit.h"
#include "cmd_db.h"
#include "ctl.h"
#include "log.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct ctl_cmd main_cmds[] = {
	{ "attach", cmd_attach, "attach the filter to an interface (loads it if needed)",
	  "attach IFACE [--mode native|skb]", help_attach },
	{ "detach", cmd_detach, "detach the filter from an interface", "detach IFACE [--force]",
	  help_detach },
	{ "status", cmd_status, "show whether the filter is loaded, where it is attached, its policy",
	  "status", help_status },
	{ "reload", cmd_reload, "upgrade to this binary's program, keeping every map",
	  "reload", help_reload },
	{ "block", cmd_block, "manage the blocklist", "block COMMAND [ARGS]",
	  "Blocked sources are dropped before any later stage, until their expiry.\n"
	  "\nExample:\n  edgewardctl block add 203.0.113.0/24 --ttl 1h --reason scanner\n" },
	{ "allow", cmd_allow, "manage the allowlist", "allow COMMAND [ARGS]",
	  "Allowlisted sources bypass the blocklist and every later stage.\n"
	  "\nExample:\n  edgewardctl allow add 192.0.2.10\n" },
	{ "acl", cmd_acl, "manage service ACLs (a port reachable only from listed CIDRs)",
	  "acl COMMAND [ARGS]",
	  "A port with an ACL is reachable only from the ACL's sources.\n"
	  "\nExample:\n  edgewardctl acl add 22/tcp from 10.0.0.0/8 192.168.0.0/16\n" },
	{ "ratelimit", cmd_ratelimit, "manage per-source rate-limit classes",
	  "ratelimit COMMAND [ARGS]",
	  "A class limits each source to a rate, with a burst, on a set of ports.\n"
	  "\nExample:\n  edgewardctl ratelimit set http --ports 80,443 --rate 25/min --burst 100\n" },
	{ "policy", cmd_policy, "show or change the default policy", "policy COMMAND [ARGS]",
	  "The default policy: default-deny per protocol, open ports, bogon and\n"
	  "IPv4-mapped source filtering, non-IP frames, drop event sampling.\n"
	  "\nExample:\n  edgewardctl policy set --default-tcp deny --open 80/tcp,443/tcp\n" },
	{ "apply", cmd_apply, "apply a YAML policy file, all or nothing",
	  "apply FILE [--force] [--dry-run]", help_apply },
	{ "stats", cmd_stats, "show counters per drop reason and map fill levels",
	  "stats [--rate] [--interval SEC [--count N]] [--all]", help_stats },
	{ "events", cmd_events, "stream sampled drops as DROPPED: lines (emergency mode)",
	  "events [--count N] [--timeout SEC]", help_events },
	{ "audit", cmd_audit, "list and verify the audit journal",
	  "audit [list|verify|append] [OPTIONS]", help_audit },
	{ "db", cmd_db, "apply and inspect the PostgreSQL schema", "db COMMAND [ARGS]", help_db },
	{ "login", cmd_login, "log in to edgewardd at --server and save the token",
	  "login [--user NAME] [--password-stdin] [--totp CODE]", help_login },
	{ "logout", cmd_logout, "revoke and forget the saved token", "logout", help_logout },
	{ "user", cmd_user, "manage operators (edgewardd)", "user COMMAND [ARGS]",
	  "Operators log in with a password (and TOTP for roles that need MFA) and act\n"
	  "within their role. The store is edgewardd's: these commands need the daemon.\n"
	  "\nExample:\n  edgewardctl user add alice --email alice@example.com --role manager\n" },
	{ "config", cmd_config, "check or reload edgewardd's config", "config COMMAND [ARGS]",
	  "The daemon's config (users' policy, RBAC, TLS, the network policy) is read\n"
	  "all or nothing: check a file first, then reload.\n"
	  "\nExample:\n  edgewardctl config check && edgewardctl config reload\n" },
	{ "version", cmd_version, "print the version", "version",
	  "Print edgewardctl's version, the map ABI it speaks and the libbpf it uses.\n"
	  "\nExample:\n  edgewardctl -j version\n" },
	{ "help", cmd_help, "show help for a command", "help [COMMAND [SUBCOMMAND]]",
	  "Print the help of a command: the same as COMMAND --help.\n"
	  "\nExample:\n  edgewardctl help block import\n" },
	{ 0 }
};

static void usage(FILE *f)
{
	const struct ctl_cmd *c;

	fprintf(f,
		"Usage: edgewardctl [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Control the edgeward XDP filter. Commands go to edgewardd: through its local\n"
		"socket (root only, no login), or over HTTPS with --server after 'edgewardctl\n"
		"login'. When the daemon is not running, root writes the pinned maps directly\n"
		"(emergency mode, with a warning; each change is recorded in the journal).\n"
		"\n"
		"Options:\n"
		"  -j, --json          JSON output (errors too, as {\"error\": ...}, exit 1)\n"
		"  -q, --quiet         no informational output or progress\n"
		"  -v, --verbose       more detail, and libbpf's own messages\n"
		"      --server URL    edgewardd at https://HOST:PORT ($EDGEWARD_SERVER)\n"
		"      --cacert FILE   CA certificate of the daemon's TLS certificate\n"
		"                      ($EDGEWARD_CACERT; default: the system's CAs)\n"
		"      --socket PATH   the daemon's local socket (default %s,\n"
		"                      or $EDGEWARD_SOCKET)\n"
		"      --direct        emergency mode: write the pinned maps, root only\n"
		"                      ($EDGEWARD_DIRECT=1); refused with --server\n"
		"      --pin-dir DIR   pinned maps directory in emergency mode\n"
		"                      (default %s, or $EDGEWARD_PIN_DIR)\n"
		"  -h, --help          this help\n"
		"\n"
		"Environment: $EDGEWARD_TOKEN_FILE (saved token, default\n"
		"~/.config/edgeward/token), $EDGEWARD_JOURNAL (emergency journal, default\n"
		"%s).\n"
		"\n"
		"Commands:\n",
		EW_SOCKET_PATH, EW_PIN_DIR, EW_JOURNAL_PATH);
	for (c = main_cmds; c->name; c++)
		fprintf(f, "  %-10s  %s\n", c->name, c->summary);
	fprintf(f, "\n"
		   "Commands may be shortened to an unambiguous prefix (bl = block).\n"
		   "Run 'edgewardctl COMMAND --help' for a command's options and an example.\n"
		   "\n"
		   "Example:\n"
		   "  edgewardctl attach eth0 && edgewardctl apply /etc/edgeward/edgeward.yaml\n"
		   "  edgewardctl --server https://fw1.example.net:8443 login --user alice\n"
		   "  edgewardctl --server https://fw1.example.net:8443 block list\n");
}

static int cmd_version(int argc, char **argv)
{
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "version", json_string(EW_VERSION));
		json_object_set_new(o, "abi", json_integer(EW_ABI_VERSION));
		json_object_set_new(o, "libbpf", json_string(libbpf_version_string()));
		return ctl_json_print(o) ? CTL_ERR : CTL_OK;
	}
	printf("edgewardctl %s (map ABI %d, libbpf %s)\n", EW_VERSION, EW_ABI_VERSION,
	       libbpf_version_string());
	return CTL_OK;
}

/* "help block add" runs "block add --help". */
static int cmd_help(int argc, char **argv)
{
	char *av[8];
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
				continue;
			return ctl_usage("unknown option '%s'", argv[i]);
		}
		if (n >= 6)
			return ctl_usage("too many words");
		av[n++] = argv[i];
	}
	if (!n) {
		usage(stdout);
		return CTL_OK;
	}
	av[n++] = "--help";
	av[n] = NULL;
	ctl.path[0] = '\0';
	ctl.cur = NULL;
	return ctl_dispatch(main_cmds, n, av);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's chatter is debug output; our own messages say what went wrong. */
	if (ctl.verbose < 1 || (level == LIBBPF_DEBUG && ctl.verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "server", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 'U' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "direct", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *env = getenv("EDGEWARD_PIN_DIR");
	int c, rc;

	if (env && *env)
		ctl.pin_dir = env;
	opterr = 0;
	/* "+": stop at the command; its own options belong to it. */
	while ((c = getopt_long(argc, argv, "+:jqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'q':
			ctl.quiet = true;
			break;
		case 'v':
			ctl.verbose++;
			break;
		case 'P':
			if (!optarg[0])
				return ctl_usage("--pin-dir needs a directory");
			ctl.pin_dir = optarg;
			break;
		case 'S':
			if (strncmp(optarg, "https://", 8) || !optarg[8])
				return ctl_usage("--server needs https://HOST:PORT");
			cli.server = optarg;
			break;
		case 'U':
			if (!optarg[0])
				return ctl_usage("--socket needs a path");
			cli.socket = optarg;
			break;
		case 'C':
			if (!optarg[0])
				return ctl_usage("--cacert needs a file");
			cli.cacert = optarg;
			break;
		case 'D':
			cli.direct = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case ':':
			return ctl_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return ctl_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	env = getenv("EDGEWARD_DIRECT");
	if ((cli.direct || (env && !strcmp(env, "1"))) &&
	    (cli.server || ((env = getenv("EDGEWARD_SERVER")) && *env)))
		return ctl_usage("--server and --direct exclude each other");
	log_init("edgewardctl", 0, ctl.verbose > 0);
	libbpf_set_print(libbpf_print);
	if (optind >= argc) {
		if (ctl.json)
			return ctl_usage("missing command");
		usage(stderr);
		return CTL_USAGE;
	}
	rc = ctl_dispatch(main_cmds, argc - optind, argv + optind);
	fflush(stdout);
	return rc;
}
