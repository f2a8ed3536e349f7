/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kmtls CLI: what the object files share.
 */
#ifndef KMTLS_CLI_H
#define KMTLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "kmtls_nl.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

/* Exit codes. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the kernel or the system said no */
#define EXIT_USAGE	2	/* the command line is wrong */

/* One per run, on main()'s stack.  The streams are not owned. */
struct kmtls_ctx {
	struct kmtls_opts opts;
	FILE *out;
	FILE *err;
};

/* An object's (or a command's) entry point; returns an exit code. */
struct kmtls_cmd {
	const char *name;
	int (*run)(struct kmtls_ctx *ctx, int argc, char **argv);
};

/* Run a whole command line (argv[0] is the program name); exit code. */
int kmtls_run(struct kmtls_ctx *ctx, int argc, char **argv);

/*
 * Run the command that argv[0] names in table; no argument runs dflt
 * (unless NULL).  what ("object", "command") and hint ("kmtls config help")
 * word the usage errors.
 */
int kmtls_dispatch(struct kmtls_ctx *ctx, const struct kmtls_cmd *table,
		   size_t n, const struct kmtls_cmd *dflt, const char *what,
		   const char *hint, int argc, char **argv);

/* Print "kmtls: <message>" and 'Try "<hint>".' to ctx->err; EXIT_USAGE. */
int usage_error(struct kmtls_ctx *ctx, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print "Error: <message>" for a failed library call; EXIT_FAIL. */
int nl_error(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err);

/* Print "Warning: <message>" if the kernel sent one with its ACK. */
void nl_warning(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err);

/* Send a request that changes state (no reply expected), close @nl and
 * report the outcome: EXIT_OK, or EXIT_FAIL after "Error: ...".
 */
int nl_change(struct kmtls_ctx *ctx, struct kmtls_nl *nl, struct nlmsghdr *nlh);

/* The same for a request whose success carries a reply message, decoded
 * by @reply (NULL: skipped). */
int nl_change_reply(struct kmtls_ctx *ctx, struct kmtls_nl *nl,
		    struct nlmsghdr *nlh, const struct kmtls_nl_reply *reply);

/* Run a dump of @cmd, its messages decoded by @reply into the caller's
 * list: EXIT_OK, or EXIT_FAIL after "Error: ...".
 */
int nl_dump(struct kmtls_ctx *ctx, uint8_t cmd,
	    const struct kmtls_nl_reply *reply);

/* Open the netlink handle, reporting failure; EXIT_OK or EXIT_FAIL. */
int nl_open(struct kmtls_ctx *ctx, struct kmtls_nl **nlp);

/* ret from a print function: EXIT_OK, or EXIT_FAIL after reporting. */
int print_result(struct kmtls_ctx *ctx, int ret);

/* The kernel's answer to get-status. */
struct kmtls_status {
	char version[128];
	bool daemon_attached;
	uint32_t handshake_timeout_ms;
	uint32_t flows;
	uint64_t handshakes;
	uint64_t handshakes_failed;
	uint64_t config_changes;
	uint64_t refused_no_daemon;
	/* The policy's; a module without the policy sends none of them. */
	bool has_policy_default;
	uint8_t policy_default;		/* enum kmtls_action, or newer */
	bool has_policy_denied;
	uint64_t policy_denied;
	bool has_policy_would_deny;
	uint64_t policy_would_deny;
	bool has_policy_rules;
	uint32_t policy_rules;
	bool has_policy_reset;
	uint64_t policy_reset;
	/* A module without destination modes does not send it. */
	bool has_plaintext_admitted;
	uint64_t plaintext_admitted;
	bool received;		/* a reply was decoded into this */
};

/* status.c */
void status_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		       struct kmtls_status *st);
int status_fetch(struct kmtls_nl *nl, struct kmtls_status *st,
		 struct kmtls_nl_err *err);
int status_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st);
struct out;
/* The policy default as a field (out.h), when the module reported it:
 * its name, or its number when this program does not know it. */
void status_out_policy_default(struct out *o, const char *label,
			       const struct kmtls_status *st);
int cmd_status(struct kmtls_ctx *ctx, int argc, char **argv);

/* config.c */
int config_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st);

/* Fetch the status and print it with @print ("status show", "config
 * show"); any argument is a usage error with @hint.
 */
typedef int (*status_printer)(FILE *f, const struct kmtls_opts *opts,
			      const struct kmtls_status *st);
int status_show_with(struct kmtls_ctx *ctx, int argc, char **argv,
		     const char *hint, status_printer print);
int cmd_config(struct kmtls_ctx *ctx, int argc, char **argv);

/* One identity: a cgroup mapped to a SPIFFE ID (KMTLS_CMD_IDENTITY_GET). */
struct kmtls_identity {
	char *cgroup;		/* owned; relative to the cgroup2 root */
	char *spiffe_id;	/* owned */
	uint64_t cgroup_id;
};

/* The identities a dump returned; identity_list_free() releases them. */
struct kmtls_identity_list {
	struct kmtls_identity *v;
	size_t n, cap;
};

/* identity.c */
void identity_list_free(struct kmtls_identity_list *l);
void identity_reply_init(struct kmtls_nl_reply *reply,
			 const struct nlattr **tb,
			 struct kmtls_identity_list *l);
/* Add the attributes of an add (spiffe_id set) or del request; false if
 * they do not fit in KMTLS_NL_TX_SIZE. */
bool identity_put(struct nlmsghdr *nlh, const char *cgroup,
		  const char *spiffe_id);
/* Text "cgroup PATH SPIFFE-ID" lines, as "identity add" takes them. */
int identity_print(FILE *f, const struct kmtls_opts *opts,
		   const struct kmtls_identity_list *l);
/*
 * Is s a SPIFFE ID the kernel accepts: spiffe://TRUST-DOMAIN/PATH, a
 * lower-case trust domain of 1 to 255 [a-z0-9._-], one or more path
 * segments of [A-Za-z0-9._-], none empty, "." or ".."; no port, userinfo,
 * query or fragment; at most KMTLS_SPIFFE_ID_MAX_LEN bytes.  0, or -EINVAL
 * with a reason in *why.  (kmod/identity.c applies the same rules.)
 */
int spiffe_id_check(const char *s, const char **why);
int cmd_identity(struct kmtls_ctx *ctx, int argc, char **argv);

/* cgroup.c: cgroup paths as the command line gives them. */
#define CGROUP_MOUNTINFO	"/proc/self/mountinfo"

/*
 * Normalise an absolute path: collapse repeated slashes, drop a trailing
 * slash ("/" stays "/").  0; -EINVAL if in does not start with "/" or has
 * a "." or ".." component; -ENAMETOOLONG if out (outlen bytes) is too
 * small.  *why says what is wrong.
 */
int cgroup_path_clean(const char *in, char *out, size_t outlen,
		      const char **why);
/*
 * Find the cgroup2 mount (in /proc/self/mountinfo's format) that the clean
 * path is under: the deepest mount point, the later line when two are the
 * same.  Its mount point and root (unescaped) go to point and root.
 * Returns 1 when found, else 0.
 */
int cgroup_find_mount(FILE *mountinfo, const char *path, char *point,
		      size_t pointlen, char *root, size_t rootlen);
/*
 * Turn a PATH from the command line into the cgroup path the kernel takes,
 * relative to the cgroup2 root: cleaned, then, if it lies under a cgroup2
 * mount listed in mountinfo (may be NULL), the mount point replaced by the
 * mount's root ("/sys/fs/cgroup/a/b" -> "/a/b"); otherwise it is taken to
 * be relative to the root already.  0, or a negative errno with a reason in
 * why: -EINVAL (bad path), -ENAMETOOLONG (longer than outlen - 1).
 */
int cgroup_path_resolve(const char *arg, FILE *mountinfo, char *out,
			size_t outlen, char *why, size_t whylen);

/*
 * A declared destination: an address prefix and an inclusive port range,
 * its mode and the identity its servers prove.  In a dest_list identity is
 * owned; from dest_parse_args() it points into its argv.
 */
struct kmtls_dest {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 uses the first 4 */
	uint8_t prefix_len;
	uint16_t port_min;	/* 1..65535, host order */
	uint16_t port_max;	/* port_min..65535 */
	uint8_t mode;		/* enum kmtls_dest_mode or newer; 0: none given
				 * (add: the kernel's default, strict) or
				 * none reported (a module without modes) */
	char *identity;		/* SPIFFE ID, or NULL */
};

/* Room for any DEST dest_format() writes, NUL included. */
#define DEST_STRLEN	72

struct kmtls_dest_list {
	struct kmtls_dest *v;
	size_t n, cap;
};

/* dest.c */
/*
 * Parse DEST: ADDR[/LEN][:PORT[-PORT]] for IPv4, ADDR[/LEN] or
 * [ADDR[/LEN]]:PORT[-PORT] for IPv6.  LEN defaults to the full length,
 * the ports to 1-65535.  0, or -EINVAL with a reason in why.
 */
int dest_parse(const char *s, struct kmtls_dest *d, char *why, size_t whylen);
/* Is d consistent (prefix length, host bits, ports)?  0 or -EINVAL. */
int dest_check(const struct kmtls_dest *d, char *why, size_t whylen);
/* d in the shortest form dest_parse() takes back; len >= DEST_STRLEN. */
void dest_format(const struct kmtls_dest *d, char *buf, size_t len);
/*
 * PORT[-PORT]: 1..65535, the range not inverted; one port is the range
 * PORT-PORT.  0, or -EINVAL with a reason in why (naming the port).
 */
int port_range_parse(const char *s, uint16_t *pmin, uint16_t *pmax,
		     char *why, size_t whylen);
/* "strict", "permissive", "disabled"; NULL for a value this program does
 * not know. */
const char *dest_mode_name(uint8_t mode);
/* A mode by name or unique prefix into *mode (KMTLS_DEST_MODE_*).  0, or
 * -EINVAL with a reason in why. */
int dest_mode_parse(const char *s, uint8_t *mode, char *why, size_t whylen);
/*
 * The words of "dest add" after the command:
 *	DEST [mode strict|permissive|disabled] [identity SPIFFE-ID]
 * the words after DEST in any order, each once, keywords and modes by
 * unique prefix.  0, or -EINVAL with a message in why.
 */
int dest_parse_args(int argc, char **argv, struct kmtls_dest *d, char *why,
		    size_t whylen);
/* The request attributes: the prefix and ports, and the mode and identity
 * when given; false if they do not fit in KMTLS_NL_TX_SIZE. */
bool dest_put(struct nlmsghdr *nlh, const struct kmtls_dest *d);
void dest_list_free(struct kmtls_dest_list *l);
void dest_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		     struct kmtls_dest_list *l);
/* Text: one "DEST [mode M] [identity ID]" per line, as "dest add" takes
 * it. */
int dest_print(FILE *f, const struct kmtls_opts *opts,
	       const struct kmtls_dest_list *l);
int cmd_dest(struct kmtls_ctx *ctx, int argc, char **argv);

/* A meshed connection (KMTLS_CMD_FLOW_GET). */
struct kmtls_flow {
	uint64_t id;
	uint64_t age_ms;
	uint32_t netns;		/* inode of the socket's network namespace */
	int family;		/* AF_INET or AF_INET6 */
	uint8_t local_addr[16];	/* network order; IPv4 uses the first 4 */
	uint8_t peer_addr[16];
	uint16_t local_port;	/* host order */
	uint16_t peer_port;
	uint8_t role;		/* enum kmtls_role, or a newer value */
	uint8_t state;		/* enum kmtls_flow_state, or a newer value */
	bool has_cipher;	/* the kernel sent one: established */
	uint16_t cipher;	/* TLS_CIPHER_* of linux/tls.h */
	char *local_id;		/* owned */
	char *peer_id;		/* owned; NULL until the handshake succeeded */
	bool would_deny;	/* let through only because of audit */
	bool plaintext;		/* a permissive destination admitted it in
				 * clear: no cipher, no peer ID */
};

/* The flows a dump returned; flow_list_free() releases them. */
struct kmtls_flow_list {
	struct kmtls_flow *v;
	size_t n, cap;
};

/* flow.c */
/* Names of the enum values, NULL for a value this program does not know. */
const char *flow_role_name(uint8_t role);
const char *flow_state_name(uint8_t state);
const char *flow_cipher_name(uint16_t cipher);
/* An age for people: "1.2s", "12m05s", "3h07m", "2d04h" (truncated). */
void flow_format_age(uint64_t ms, char *buf, size_t len);
void flow_list_free(struct kmtls_flow_list *l);
void flow_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		     struct kmtls_flow_list *l);
/* Text: one flow per line, ss style; JSON: an array of objects. */
int flow_print(FILE *f, const struct kmtls_opts *opts,
	       const struct kmtls_flow_list *l);
int cmd_flows(struct kmtls_ctx *ctx, int argc, char **argv);

/*
 * A policy rule (KMTLS_CMD_POLICY_*): client identity pattern x server
 * identity pattern x server port range -> action.  In a rule_list the
 * strings are owned; from policy_parse() they point into its argv.
 */
struct kmtls_rule {
	char *src;		/* pattern; "*" is any identity */
	char *dst;
	uint16_t port_min;	/* 1..65535, host order */
	uint16_t port_max;	/* port_min..65535 */
	uint8_t action;		/* enum kmtls_action, or a newer value */
	uint64_t hits;		/* dumps only */
};

struct kmtls_rule_list {
	struct kmtls_rule *v;
	size_t n, cap;
};

/* policy.c */
/* "allow", "deny", "audit"; NULL for a value this program does not know. */
const char *policy_action_name(uint8_t action);
/*
 * An action by name or unique prefix into *action (KMTLS_ACTION_*).  0, or
 * -EINVAL with a reason in why ("expected allow, deny or audit", ...).
 */
int policy_action_parse(const char *s, uint8_t *action, char *why,
			size_t whylen);
/*
 * Is s a pattern: "*"; a trust domain, or an ID, followed by a last
 * segment "*" (spiffe://TD/{*}, spiffe://TD/PATH/{*}); or an exact SPIFFE
 * ID?  spiffe_id_check() judges the ID, and the trust domain alone.  0, or
 * -EINVAL with a reason in *why.
 */
int policy_pattern_check(const char *s, const char **why);
/*
 * The words of "policy add" and "policy del" after the command:
 *	[src PATTERN] [dst PATTERN] [port P[-Q]] action ACTION
 * in any order, each once, keywords and actions by unique prefix.
 * Omitted patterns are "*", omitted ports 1-65535.  0, or -EINVAL with a
 * message in why.
 */
int policy_parse(int argc, char **argv, struct kmtls_rule *r, char *why,
		 size_t whylen);
/* Words besides a rule's that policy_parse_words() takes. */
#define POLICY_WORD_KEEP	0x1	/* "keep" (add, del) into *keep */
#define POLICY_WORD_HITS	0x2	/* "hits N", checked and ignored
					 * (restore, reading show -s) */
/* policy_parse() with the extra words; keep may be NULL without
 * POLICY_WORD_KEEP. */
int policy_parse_words(int argc, char **argv, unsigned int extra,
		       struct kmtls_rule *r, bool *keep, char *why,
		       size_t whylen);
/*
 * One line of a rule file ("policy restore"): split at blanks in place, a
 * word starting with "#" and the rest of the line a comment, the words as
 * policy_parse_words() with POLICY_WORD_HITS takes them; r's strings point
 * into line.  1 for a rule, 0 for a line without one (blank, comment), or
 * -EINVAL with a message in why.
 */
int policy_line_parse(char *line, struct kmtls_rule *r, char *why,
		      size_t whylen);
/* The request attributes (all five, defaults explicit); false if they do
 * not fit in KMTLS_NL_TX_SIZE. */
bool policy_put(struct nlmsghdr *nlh, const struct kmtls_rule *r);
void policy_list_free(struct kmtls_rule_list *l);
void policy_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		       struct kmtls_rule_list *l);
/*
 * Text: one rule per line in the form "policy add" takes after the
 * command, "src P dst P port N[-M] action A", then " hits N" with stats.
 * JSON: an array of objects, hits always.
 */
int policy_print(FILE *f, const struct kmtls_opts *opts, bool stats,
		 const struct kmtls_rule_list *l);

int cmd_policy(struct kmtls_ctx *ctx, int argc, char **argv);

/* What a change (add, del, flush, commit) reports; has_*: the kernel sent
 * it. */
struct policy_result {
	bool has_rules, has_reset, has_kept;
	uint32_t rules;		/* commit: rules in the new set */
	uint32_t reset;		/* established flows reset */
	uint32_t kept;		/* denied established flows left open (keep) */
};
/* tb: KMTLS_A_POLICY_MAX + 1 entries, owned by the caller. */
void policy_result_reply_init(struct kmtls_nl_reply *reply,
			      const struct nlattr **tb,
			      struct policy_result *res);
/*
 * Text: for a restore "restored N rules"; then "reset N established flows
 * the new policy denies" and "left N established flows the new policy
 * denies open (keep)", each only when N > 0.  JSON: an object of rules
 * (restore only), reset and kept, those the kernel sent.
 */
int policy_result_print(FILE *f, const struct kmtls_opts *opts, bool restore,
			const struct policy_result *res);

/* check.c: "policy check", a connection to judge and the kernel's
 * decision. */
struct policy_query {
	const char *src;	/* SPIFFE IDs, into the argv */
	const char *dst;
	uint16_t port;
	uint32_t repeat;	/* 1..KMTLS_POLICY_CHECK_REPEAT_MAX */
	bool has_repeat;	/* given: time the decisions */
};
struct policy_decision {
	bool received;
	uint8_t action;		/* enum kmtls_action, or a newer value */
	bool would_deny;	/* audit is what let it through */
	uint64_t elapsed_ns;	/* all repeats */
};
/*
 * The words of "policy check" after the command:
 *	src SPIFFE-ID dst SPIFFE-ID port P [repeat N]
 * in any order, each once, keywords by unique prefix.  0, or -EINVAL with
 * a message in why.
 */
int policy_query_parse(int argc, char **argv, struct policy_query *q,
		       char *why, size_t whylen);
bool policy_query_put(struct nlmsghdr *nlh, const struct policy_query *q);
/* tb: KMTLS_A_POLICY_MAX + 1 entries, owned by the caller. */
void policy_decision_reply_init(struct kmtls_nl_reply *reply,
				const struct nlattr **tb,
				struct policy_decision *d);
/*
 * Text: "allow", "deny" or "allow (audit: would deny)"; with repeat also
 * "N decisions in T ns, X ns each".  JSON: action, would-deny,
 * elapsed-ns, repeat.
 */
int policy_decision_print(FILE *f, const struct kmtls_opts *opts,
			  const struct policy_query *q,
			  const struct policy_decision *d);
int policy_check(struct kmtls_ctx *ctx, int argc, char **argv);

/*
 * restore.c: "policy restore", a whole rule set from a file, staged in
 * batches over one netlink socket and committed at once.
 */
/* At most this many errors are printed, then the rest are counted. */
#define RESTORE_MAX_ERRORS	20
/* Messages per batch, and bytes (below any sane socket send buffer). */
#define RESTORE_BATCH_MSGS	128
#define RESTORE_MSG_RULES	64
#define RESTORE_BATCH_BYTES	(64 * 1024)

/* The rules of a file, with their line numbers.  Everything is owned;
 * the rules' strings point into text. */
struct policy_file {
	char *text;		/* the whole input, parsed in place */
	struct kmtls_rule *v;
	unsigned long *line;	/* line[i]: where v[i] was read */
	size_t n, cap;
};
void policy_file_free(struct policy_file *pf);
/*
 * Read all of in (named name in messages) into pf, a zeroed one.  Syntax
 * errors go to err as "NAME:LINE: message", at most RESTORE_MAX_ERRORS of
 * them.  0; -EINVAL after syntax errors (pf then holds the good rules);
 * -EIO or -ENOMEM after printing "Error: ..." to err.  Free pf either way.
 */
int policy_file_read(FILE *in, const char *name, struct policy_file *pf,
		     FILE *err);

/* What the kernel answered to one batch of staged rules. */
struct policy_batch {
	uint32_t seq0;		/* the first message's sequence number */
	uint32_t n;		/* messages, numbered seq0.. */
	bool done;		/* the last one (NLM_F_ACK) was answered */
	size_t nerr;		/* rules refused */
	struct {
		uint32_t index;	/* 0..n-1 */
		struct kmtls_nl_err err;
	} errs[RESTORE_MAX_ERRORS];	/* the first nerr of them */
	/* Each message carries rules nested, from the batch's rule first[i]
	 * on; nest_off: where each rule's nest starts in its message. */
	uint32_t first[RESTORE_BATCH_MSGS];
	uint16_t nrules[RESTORE_BATCH_MSGS];
	uint32_t nest_off[RESTORE_BATCH_MSGS][RESTORE_MSG_RULES];
};
/* The batch's rule that message msg's error err is about: the one whose
 * nest holds the attribute the kernel pointed at (else the message's
 * first). */
size_t policy_batch_rule(const struct policy_batch *b, uint32_t msg,
			 const struct kmtls_nl_err *err);
/*
 * Take a received buffer of messages into b: errors for messages of the
 * batch are recorded, the answer to the last message ends it; other
 * messages (from other requests, not of the kernel) are skipped.  0, or
 * -EBADMSG for a malformed buffer (message in err).
 */
int policy_batch_answers(struct policy_batch *b, const void *buf, size_t len,
			 uint32_t portid, struct kmtls_nl_err *err);
int policy_restore(struct kmtls_ctx *ctx, int argc, char **argv);

/* help.c */
int cmd_help(struct kmtls_ctx *ctx, int argc, char **argv);
void help_main(FILE *f);
void help_status(FILE *f);
void help_config(FILE *f);
void help_identity(FILE *f);
void help_dest(FILE *f);
void help_flows(FILE *f);
void help_policy(FILE *f);

#endif /* KMTLS_CLI_H */
