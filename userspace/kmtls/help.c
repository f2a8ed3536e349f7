// SPDX-License-Identifier: GPL-2.0
/*
 * Help texts, one per level, and the help object.
 */
#include <linux/kmtls.h>

#include "kmtls.h"

void help_main(FILE *f)
{
	fputs("Usage: kmtls [OPTIONS] OBJECT [COMMAND [ARGS]]\n"
	      "       kmtls help [OBJECT]\n"
	      "where  OBJECT  := { status | config | identity | dest | flows | policy |\n"
	      "                    help }\n"
	      "       OPTIONS := { -j | -p | -V | -h }\n"
	      "\n"
	      "Objects and commands may be shortened to any unique prefix.\n"
	      "\n"
	      "  status [show]                       module version, daemon state, counters\n"
	      "  config [show]                       node-wide settings\n"
	      "  config set SETTING VALUE            change a setting (CAP_NET_ADMIN)\n"
	      "  identity [show | list]              cgroups and their SPIFFE IDs\n"
	      "  identity add cgroup PATH SPIFFE-ID  give a cgroup an identity (CAP_NET_ADMIN)\n"
	      "  identity del cgroup PATH            take it away (CAP_NET_ADMIN)\n"
	      "  dest [show | list]                  declared destinations\n"
	      "  dest add DEST [mode MODE] [identity SPIFFE-ID]\n"
	      "                                      declare one (CAP_NET_ADMIN)\n"
	      "  dest del DEST                       remove one (CAP_NET_ADMIN)\n"
	      "  flows [show | list]                 meshed connections, ss style\n"
	      "  policy [show | list] [-s]           policy rules (-s: hit counters)\n"
	      "  policy { add | del } RULE [keep]    add or remove a rule (CAP_NET_ADMIN)\n"
	      "  policy flush [keep]                 remove every rule (CAP_NET_ADMIN)\n"
	      "  policy restore [keep] [FILE]        replace every rule at once (CAP_NET_ADMIN)\n"
	      "  policy check src ID dst ID port P   what the policy decides (CAP_NET_ADMIN)\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json      print JSON\n"
	      "  -p, --pretty    print indented JSON (implies --json)\n"
	      "  -V, --version   print the version of this program\n"
	      "  -h, --help      print this help\n", f);
}

void help_status(FILE *f)
{
	fputs("Usage: kmtls status [ show ]\n"
	      "       kmtls status help\n"
	      "\n"
	      "Prints the module version, whether a handshake daemon is attached,\n"
	      "the handshake timeout, the meshed flows tracked, the handshake and\n"
	      "configuration counters since the module was loaded, the policy's\n"
	      "default, its number of rules and counters of connections denied,\n"
	      "flagged would-deny and reset by policy changes, and the plaintext\n"
	      "connections permissive destinations admitted.\n", f);
}

void help_config(FILE *f)
{
	fprintf(f,
		"Usage: kmtls config [ show ]\n"
		"       kmtls config set SETTING VALUE [ SETTING VALUE ]...\n"
		"       kmtls config help\n"
		"where  SETTING VALUE := { handshake-timeout MS |\n"
		"                          policy-default { allow | deny | audit } }\n"
		"\n"
		"  handshake-timeout MS  how long the kernel waits for the handshake\n"
		"                        daemon, in milliseconds (%u..%u)\n"
		"  policy-default ACTION what the policy does with a connection no rule\n"
		"                        decides (the module loads with allow; audit is\n"
		"                        allow, flagging the flow \"would-deny\")\n"
		"\n"
		"\"config show\" prints the settings in the form \"config set\" takes.\n"
		"\"config set\" needs CAP_NET_ADMIN.\n",
		KMTLS_HANDSHAKE_TIMEOUT_MIN_MS, KMTLS_HANDSHAKE_TIMEOUT_MAX_MS);
}

void help_identity(FILE *f)
{
	fprintf(f,
		"Usage: kmtls identity [ show | list ]\n"
		"       kmtls identity add cgroup PATH SPIFFE-ID\n"
		"       kmtls identity del cgroup PATH\n"
		"       kmtls identity help\n"
		"where  PATH      := a cgroup v2 directory, as a path under the cgroup2\n"
		"                    mount (/sys/fs/cgroup/workloads/web) or relative to\n"
		"                    the cgroup2 root (/workloads/web); \"/\" is the root\n"
		"       SPIFFE-ID := spiffe://TRUST-DOMAIN/PATH\n"
		"\n"
		"A cgroup's identity covers its whole subtree.  The trust domain is\n"
		"lower case a-z, 0-9, \".\", \"-\", \"_\" (at most 255); the path one or\n"
		"more segments of A-Z, a-z, 0-9, \".\", \"-\", \"_\"; at most %u bytes\n"
		"in all.\n"
		"\n"
		"\"identity show\" prints one identity per line in the form \"identity add\"\n"
		"takes; -j adds each cgroup's id.  \"add\" and \"del\" need CAP_NET_ADMIN.\n",
		KMTLS_SPIFFE_ID_MAX_LEN);
}

void help_dest(FILE *f)
{
	fputs("Usage: kmtls dest [ show | list ]\n"
	      "       kmtls dest add DEST [ mode MODE ] [ identity SPIFFE-ID ]\n"
	      "       kmtls dest del DEST\n"
	      "       kmtls dest help\n"
	      "where  DEST := ADDR[/LEN][:PORT[-PORT]]                  IPv4\n"
	      "               ADDR[/LEN] | [ADDR[/LEN]]:PORT[-PORT]     IPv6\n"
	      "       MODE := { strict | permissive | disabled }\n"
	      "\n"
	      "Connections to a declared destination are meshed.  LEN defaults to a\n"
	      "single address (32 or 128), the ports to all of them (1-65535); the\n"
	      "address bits after LEN must be zero.  An IPv6 destination with ports\n"
	      "takes brackets.  Examples:\n"
	      "  10.0.0.5  10.0.0.0/8:5432  10.1.2.3:8000-8100\n"
	      "  fd00::1  fd00::/64  [fd00::/64]:443  [::1]:80-90\n"
	      "\n"
	      "  mode strict      only mutual TLS; a plaintext client is refused\n"
	      "                   (the default)\n"
	      "  mode permissive  the server side also admits plaintext clients,\n"
	      "                   counted and listed \"plaintext\" in \"kmtls flows\"\n"
	      "  mode disabled    not meshed: an exception inside a wider destination\n"
	      "  identity ID      the SPIFFE ID the destination's servers prove: the\n"
	      "                   policy judges a client's connect() before its SYN\n"
	      "                   leaves, and the server must present exactly this ID\n"
	      "Where destinations overlap, the most specific (longest prefix, then\n"
	      "narrowest port range) decides.\n"
	      "\n"
	      "\"dest del\" removes exactly what \"dest add\" declared: the same prefix\n"
	      "and port range, whatever its mode and identity (it takes neither).\n"
	      "\"dest show\" prints one destination per line, its mode always, in the\n"
	      "form \"dest add\" takes.  \"add\" and \"del\" need CAP_NET_ADMIN.\n", f);
}

void help_flows(FILE *f)
{
	fputs("Usage: kmtls flows [ show | list ]\n"
	      "       kmtls flows help\n"
	      "\n"
	      "Prints the meshed connections the module tracks, one per line:\n"
	      "  ROLE LOCAL -> PEER STATE [CIPHER | plaintext] age AGE netns INODE\n"
	      "       local SPIFFE-ID [peer SPIFFE-ID] [would-deny]\n"
	      "where  ROLE   := { client | server }\n"
	      "       STATE  := { handshake | established }\n"
	      "       CIPHER := { aes-128-gcm | aes-256-gcm | chacha20-poly1305 }\n"
	      "       LOCAL, PEER := ADDR:PORT (IPv4) | [ADDR]:PORT (IPv6)\n"
	      "\n"
	      "The cipher and the peer's verified SPIFFE ID appear once the handshake\n"
	      "succeeded.  \"plaintext\": a permissive destination admitted a client\n"
	      "without TLS; such a flow has no cipher and no peer ID.\n"
	      "INODE is the socket's network namespace (as lsns shows it).\n"
	      "\"would-deny\": the policy let the flow through only because of an\n"
	      "audit rule or an audit default (see \"kmtls policy help\").\n"
	      "-j prints each flow's id and the exact age in milliseconds too.\n"
	      "\"flow\" works as well as \"flows\".  Any user may run it.\n", f);
}

void help_policy(FILE *f)
{
	fprintf(f,
	      "Usage: kmtls policy [ show | list ] [ -s ]\n"
	      "       kmtls policy { add | del } RULE [ keep ]\n"
	      "       kmtls policy flush [ keep ]\n"
	      "       kmtls policy restore [ keep ] [ FILE | - ]\n"
	      "       kmtls policy check src SPIFFE-ID dst SPIFFE-ID port PORT\n"
	      "                          [ repeat N ]\n"
	      "       kmtls policy help\n"
	      "where  RULE    := [ src PATTERN ] [ dst PATTERN ] [ port P[-Q] ]\n"
	      "                  action ACTION\n"
	      "       PATTERN := { * | spiffe://TD/* | spiffe://TD/PATH/* | SPIFFE-ID }\n"
	      "       ACTION  := { allow | deny | audit }\n"
	      "\n"
	      "A rule matches a connection from a client whose SPIFFE ID matches src\n"
	      "to a server whose ID matches dst, on a server port from P to Q.  The\n"
	      "words come in any order, each once; src and dst default to \"*\" (any\n"
	      "identity), the ports to 1-65535.  \"spiffe://TD/PATH/*\" matches the IDs\n"
	      "under PATH, at a segment boundary.\n"
	      "\n"
	      "Decision: a matching deny rule denies; else a matching allow or audit\n"
	      "rule allows; else an allow rule whose dst matches the server denies\n"
	      "(an audit rule: allows, flagging the flow \"would-deny\" in \"kmtls\n"
	      "flows\"); else the default (\"kmtls config set policy-default\").\n"
	      "\n"
	      "\"policy del\" removes the rule with exactly these patterns, ports and\n"
	      "action.  \"policy show\" prints one rule per line in the form \"policy\n"
	      "add\" takes, every field written out; -s adds each rule's hit counter.\n"
	      "In a shell, quote the patterns with a \"*\" (\'spiffe://TD/*\').  Example:\n"
	      "  kmtls policy add src spiffe://prod.example/triage \\\n"
	      "      dst spiffe://prod.example/postgres port 5432 action allow\n"
	      "\n"
	      "A change resets the established flows the new rules deny; \"keep\"\n"
	      "leaves them open.  Either way it says how many, when any.\n"
	      "\n"
	      "\"policy restore\" replaces the whole set at once with the rules of FILE\n"
	      "(standard input without FILE or with \"-\"): one per line as \"policy\n"
	      "show\" prints them (with -s too, the hits ignored), blank lines and\n"
	      "\"#\" comments allowed.  Every line is checked first; a mistake, or a\n"
	      "rule the kernel refuses, is reported as FILE:LINE and changes nothing.\n"
	      "\"keep\" is written in full (a file called keep is ./keep).\n"
	      "\n"
	      "\"policy check\" prints what the policy decides for a connection from\n"
	      "the client with ID src to the server with ID dst on PORT (full SPIFFE\n"
	      "IDs, not patterns), counting nothing: allow, deny, or \"allow (audit:\n"
	      "would deny)\"; \"repeat N\" (1..%u) times N decisions.\n"
	      "\"add\", \"del\", \"flush\", \"restore\" and \"check\" need CAP_NET_ADMIN.\n",
	      KMTLS_POLICY_CHECK_REPEAT_MAX);
}

struct help_topic {
	const char *name;	/* first: looked up by args_find() */
	void (*print)(FILE *f);
};

static const struct help_topic topics[] = {
	{ "status", help_status },
	{ "config", help_config },
	{ "identity", help_identity },
	{ "dest", help_dest },
	{ "flows", help_flows },
	{ "policy", help_policy },
	{ "help", help_main },
};

/* "kmtls help [OBJECT]" */
int cmd_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	int k;

	if (argc == 0) {
		help_main(ctx->out);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error(ctx, "kmtls help",
				   "unexpected argument \"%s\"", argv[1]);
	k = ARGS_FIND(argv[0], topics);
	if (k < 0)
		return usage_error(ctx, "kmtls help", "unknown object \"%s\"",
				   argv[0]);
	topics[k].print(ctx->out);
	return EXIT_OK;
}
