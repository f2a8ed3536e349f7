// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: "policy restore" without a kernel.  Reading a rule file
 * (comments, blank lines, "FILE:LINE: message" for every mistake, the
 * output of "policy show" and "policy show -s" read back to the same
 * rules), the kernel's answers to a batch of staged rules matched back to
 * the rules by sequence number, and the command line: a file with a
 * mistake fails with exit 1 before any netlink socket is opened.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "tap.h"

#define PORTID	777

#define ALLOW	KMTLS_ACTION_ALLOW
#define DENY	KMTLS_ACTION_DENY
#define AUDIT	KMTLS_ACTION_AUDIT

/* Read text as a rule file named "rules"; the errors into *errs. */
static int read_text(const char *text, size_t len, struct policy_file *pf,
		     char **errs)
{
	struct capture c;
	FILE *in = fmemopen((void *)text, len, "r");
	int ret;

	ret = policy_file_read(in, "rules", pf, capture_start(&c));
	fclose(in);
	*errs = (char *)capture_end(&c);
	return ret;
}

static bool rule_is(const struct policy_file *pf, size_t i,
		    unsigned long line, const char *src, const char *dst,
		    unsigned int pmin, unsigned int pmax, uint8_t action)
{
	return i < pf->n && pf->line[i] == line &&
	       strcmp(pf->v[i].src, src) == 0 &&
	       strcmp(pf->v[i].dst, dst) == 0 && pf->v[i].port_min == pmin &&
	       pf->v[i].port_max == pmax && pf->v[i].action == action;
}

/* ---- reading a file ---------------------------------------------------- */

static void test_read(void)
{
	static const char good[] =
		"# the production policy\n"
		"\n"
		"src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow\n"
		"   \t\n"
		"  # indented comment\n"
		"src * dst spiffe://prod.example/* port 1-65535 action deny # no one else\n"
		"\tport 8000-8100 action audit\r\n"
		"action allow";	/* no newline at the end */
	struct policy_file pf = { 0 };
	char *errs;
	int ret;

	ret = read_text(good, strlen(good), &pf, &errs);
	ok(ret == 0 && errs[0] == '\0' && pf.n == 4,
	   "comments and blank lines skipped: 4 rules, no errors");
	ok(rule_is(&pf, 0, 3, "spiffe://prod.example/triage",
		   "spiffe://prod.example/postgres", 5432, 5432, ALLOW) &&
	   rule_is(&pf, 1, 6, "*", "spiffe://prod.example/*", 1, 65535, DENY) &&
	   rule_is(&pf, 2, 7, "*", "*", 8000, 8100, AUDIT) &&
	   rule_is(&pf, 3, 8, "*", "*", 1, 65535, ALLOW),
	   "each rule with its line number (CRLF, tabs, trailing comment, no final newline)");
	free(errs);
	policy_file_free(&pf);
	ok(pf.n == 0 && !pf.v && !pf.line, "freed and reset");

	ret = read_text("", 0, &pf, &errs);
	ok(ret == 0 && pf.n == 0 && errs[0] == '\0',
	   "an empty file: no rules, no error (commits the empty set)");
	free(errs);
	policy_file_free(&pf);
	ret = read_text("# nothing\n\n", 11, &pf, &errs);
	ok(ret == 0 && pf.n == 0, "only comments: no rules");
	free(errs);
	policy_file_free(&pf);
}

static void test_errors(void)
{
	static const char bad[] =
		"action allow\n"
		"src web action allow\n"
		"\n"
		"action deny\n"
		"port 0 action deny\n"
		"action allow keep\n"
		"# fine\n"
		"dst spiffe://a/b\n";
	struct policy_file pf = { 0 };
	char *errs, *many;
	size_t i, len;
	int ret;

	ret = read_text(bad, strlen(bad), &pf, &errs);
	ok(ret == -EINVAL, "a file with mistakes: -EINVAL");
	is_str(errs,
	       "rules:2: invalid src pattern \"web\": a pattern is \"*\", spiffe://TRUST-DOMAIN/*, spiffe://TRUST-DOMAIN/PATH/* or a SPIFFE ID\n"
	       "rules:5: port 0 is not allowed (ports are 1..65535)\n"
	       "rules:6: \"keep\" is not a word of a rule; give it to restore (\"kmtls policy restore keep FILE\")\n"
	       "rules:8: missing \"action allow|deny|audit\"\n",
	       "every mistake reported as FILE:LINE: message, in order");
	free(errs);
	policy_file_free(&pf);

	/* A NUL byte would cut the line short: refused. */
	ret = read_text("action allow\nsrc *\0 dst x action deny\n", 37, &pf,
			&errs);
	is_str(errs, "rules:2: a NUL byte in the line\n", "a NUL byte refused");
	ok(ret == -EINVAL, "  ... -EINVAL");
	free(errs);
	policy_file_free(&pf);

	/* Not a rule file at all: stop after RESTORE_MAX_ERRORS. */
	len = 1000 * 4;
	many = malloc(len + 1);
	for (i = 0; i < 1000; i++)
		memcpy(many + 4 * i, "xyz\n", 4);
	many[len] = '\0';
	ret = read_text(many, len, &pf, &errs);
	{
		size_t lines = 0;
		const char *p;

		for (p = errs; *p; p++)
			lines += *p == '\n';
		ok(ret == -EINVAL && lines == RESTORE_MAX_ERRORS + 1 &&
		   strstr(errs, "rules:20: unknown keyword \"xyz\"") &&
		   strstr(errs, "rules: 20 errors, stopped reading\n"),
		   "1000 bad lines: %d messages, then it stops",
		   RESTORE_MAX_ERRORS);
	}
	free(errs);
	free(many);
	policy_file_free(&pf);
}

/* What "policy show" and "policy show -s" print reads back the same. */
static void test_show_round_trip(void)
{
	static const char *const lines[] = {
		"src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow",
		"dst spiffe://a/* action deny",
		"src spiffe://b.test/ns/* port 8000-8100 action audit",
		"port 1 action deny",
		"port 2-65535 action allow",
		"src spiffe://a/b.c-D_e dst spiffe://a/B/* port 443 action deny",
	};
	struct kmtls_rule_list l = { 0 };
	struct kmtls_opts text = { 0 };
	struct policy_file pf = { 0 };
	struct capture c;
	char buf[512], why[256], *errs;
	bool same = true;
	size_t i;
	int ret, stats;

	l.v = calloc(ARRAY_SIZE(lines), sizeof(*l.v));
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		struct kmtls_rule r;

		snprintf(buf, sizeof(buf), "%s", lines[i]);
		if (policy_line_parse(buf, &r, why, sizeof(why)) != 1) {
			ok(false, "\"%s\" parses (%s)", lines[i], why);
			continue;
		}
		r.src = strdup(r.src);
		r.dst = strdup(r.dst);
		r.hits = 1000 * i + 7;
		l.v[l.n++] = r;
	}
	for (stats = 0; stats <= 1; stats++) {
		policy_print(capture_start(&c), &text, stats, &l);
		capture_end(&c);
		ret = read_text(c.buf, c.len, &pf, &errs);
		same = ret == 0 && errs[0] == '\0' && pf.n == l.n;
		for (i = 0; same && i < l.n; i++)
			same = rule_is(&pf, i, i + 1, l.v[i].src, l.v[i].dst,
				       l.v[i].port_min, l.v[i].port_max,
				       l.v[i].action);
		ok(same, "policy show%s output (%zu rules) reads back to the same rules, line by line",
		   stats ? " -s" : "", l.n);
		if (!same)
			diag_str("errors", errs);
		free(errs);
		capture_free(&c);
		policy_file_free(&pf);
	}
	policy_list_free(&l);
}

/* Many rules: the arrays grow; every line number kept. */
static void test_many(void)
{
	const size_t n = 100000;
	struct policy_file pf = { 0 };
	size_t i, len = 0, cap = n * 64;
	char *text = malloc(cap), *errs;
	bool all = true;
	int ret;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"src spiffe://t/w%zu port %zu action allow\n",
					i, 1 + i % 65535);
	ret = read_text(text, len, &pf, &errs);
	for (i = 0; i < pf.n && all; i++)
		all = pf.line[i] == i + 1 &&
		      pf.v[i].port_min == 1 + i % 65535;
	ok(ret == 0 && pf.n == n && all, "100000 rules read, in order");
	free(errs);
	free(text);
	policy_file_free(&pf);
}

/* ---- the kernel's answers to a batch ------------------------------------ */

struct msgbuf {
	uint8_t b[8192] __attribute__((aligned(8)));
	size_t len;
};

/* An NLMSG_ERROR for seq: an ACK (error 0) or an error with extack. */
static void put_answer(struct msgbuf *m, uint32_t seq, uint32_t pid,
		       int error, const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 64;
	e->msg.nlmsg_seq = seq;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* A reply message (not an answer) for seq. */
static void put_reply(struct msgbuf *m, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x1234;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = PORTID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = KMTLS_CMD_POLICY_ADD;
	mnl_attr_put_u32(nlh, KMTLS_A_POLICY_RESET, 0);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Hand m over in an exact-size heap copy. */
static int answers(struct policy_batch *b, const struct msgbuf *m,
		   struct kmtls_nl_err *err)
{
	void *copy = malloc(m->len ? m->len : 1);
	int ret;

	memcpy(copy, m->b, m->len);
	ret = policy_batch_answers(b, copy, m->len, PORTID, err);
	free(copy);
	return ret;
}

static void test_batch(void)
{
	struct policy_batch *b = calloc(1, sizeof(*b));
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct kmtls_nl_err err;
	uint32_t i;
	int ret;

	/* All good: only the last message's ACK comes. */
	*b = (struct policy_batch){ .seq0 = 1000, .n = 128 };
	put_answer(m, 1127, PORTID, 0, NULL);
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 0,
	   "a batch: the ACK of its last message ends it, no errors");

	/* Nothing yet: not done. */
	*b = (struct policy_batch){ .seq0 = 1000, .n = 128 };
	m->len = 0;
	ret = answers(b, m, &err);
	ok(ret == 0 && !b->done && b->nerr == 0, "no answer yet: not done");

	/* Two rules refused, with and without extack; then the ACK. */
	memset(m, 0, sizeof(*m));
	put_answer(m, 1003, PORTID, -EEXIST, "rule already exists");
	put_answer(m, 1009, PORTID, -EINVAL, NULL);
	put_answer(m, 1127, PORTID, 0, NULL);
	*b = (struct policy_batch){ .seq0 = 1000, .n = 128 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 2 && b->errs[0].index == 3 &&
	   b->errs[0].err.err == -EEXIST &&
	   strcmp(b->errs[0].err.msg, "rule already exists") == 0 &&
	   b->errs[1].index == 9 && b->errs[1].err.err == -EINVAL &&
	   b->errs[1].err.msg[0] == '\0',
	   "errors matched to their rules by sequence number, extack kept");

	/* The last rule refused: its error ends the batch too. */
	memset(m, 0, sizeof(*m));
	put_answer(m, 1127, PORTID, -ENOSPC, "too many rules");
	*b = (struct policy_batch){ .seq0 = 1000, .n = 128 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 1 && b->errs[0].index == 127,
	   "an error for the last message ends the batch");

	/* Answers spread over two datagrams. */
	memset(m, 0, sizeof(*m));
	put_answer(m, 1001, PORTID, -EEXIST, "rule already exists");
	*b = (struct policy_batch){ .seq0 = 1000, .n = 3 };
	ret = answers(b, m, &err);
	ok(ret == 0 && !b->done && b->nerr == 1, "first datagram: one error");
	memset(m, 0, sizeof(*m));
	put_answer(m, 1002, PORTID, 0, NULL);
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 1, "second: the ACK");

	/* Not ours: another sequence, another port, a reply message. */
	memset(m, 0, sizeof(*m));
	put_answer(m, 999, PORTID, -EINVAL, "an earlier request");
	put_answer(m, 1003, PORTID, -EINVAL, "after the batch");
	put_answer(m, 1001, PORTID + 1, -EINVAL, "another socket");
	put_reply(m, 1001);
	put_answer(m, 1002, 0, 0, NULL);	/* port 0: the kernel's own */
	*b = (struct policy_batch){ .seq0 = 1000, .n = 3 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 0,
	   "other sequences, other ports and reply messages skipped");

	/* Sequence numbers that wrap inside the batch. */
	memset(m, 0, sizeof(*m));
	put_answer(m, UINT32_MAX, PORTID, -EEXIST, NULL);
	put_answer(m, 2, PORTID, -EEXIST, NULL);
	put_answer(m, 5, PORTID, 0, NULL);
	*b = (struct policy_batch){ .seq0 = UINT32_MAX - 1, .n = 8 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 2 && b->errs[0].index == 1 &&
	   b->errs[1].index == 4, "sequence numbers wrapping past 2^32");

	/* More errors than kept: counted. */
	memset(m, 0, sizeof(*m));
	for (i = 0; i < 40; i++)
		put_answer(m, 1000 + i, PORTID, -EEXIST, NULL);
	*b = (struct policy_batch){ .seq0 = 1000, .n = 40 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 40 &&
	   b->errs[RESTORE_MAX_ERRORS - 1].index == RESTORE_MAX_ERRORS - 1,
	   "40 errors: %d kept, all counted", RESTORE_MAX_ERRORS);

	/* Malformed. */
	memset(m, 0, sizeof(*m));
	put_answer(m, 1000, PORTID, 0, NULL);
	((struct nlmsghdr *)m->b)->nlmsg_len = (uint32_t)m->len + 4;
	*b = (struct policy_batch){ .seq0 = 1000, .n = 1 };
	ret = answers(b, m, &err);
	ok(ret == -EBADMSG && strstr(err.msg, "truncated"),
	   "a message longer than the datagram refused");
	memset(m, 0, sizeof(*m));
	put_answer(m, 1000, PORTID, 0, NULL);
	m->len += 6;
	*b = (struct policy_batch){ .seq0 = 1000, .n = 1 };
	ret = answers(b, m, &err);
	ok(ret == -EBADMSG, "stray bytes after the last message refused");
	memset(m, 0, sizeof(*m));
	put_answer(m, 1000, PORTID, 5, NULL);	/* a positive "errno" */
	*b = (struct policy_batch){ .seq0 = 1000, .n = 1 };
	ret = answers(b, m, &err);
	ok(ret == 0 && b->done && b->nerr == 1 &&
	   b->errs[0].err.err == -EBADMSG,
	   "a malformed answer counts as a refusal (nothing committed)");

	free(b);
	free(m);
}

/* ---- the command line --------------------------------------------------- */

static int run(char **argv, int argc, char **out, char **err)
{
	struct capture co, ce;
	struct kmtls_ctx ctx = { 0 };
	int ret;

	ctx.out = capture_start(&co);
	ctx.err = capture_start(&ce);
	ret = kmtls_run(&ctx, argc, argv);
	*out = (char *)capture_end(&co);
	*err = (char *)capture_end(&ce);
	return ret;
}

/* A refused rule is found from its message and the offset of its nest. */
static void test_batch_rule(void)
{
	struct policy_batch *b = calloc(1, sizeof(*b));
	struct kmtls_nl_err e = { 0 };

	b->n = 2;
	b->first[0] = 0;
	b->nrules[0] = 3;
	b->nest_off[0][0] = 28;
	b->nest_off[0][1] = 120;
	b->nest_off[0][2] = 220;
	b->first[1] = 3;
	b->nrules[1] = 2;
	b->nest_off[1][0] = 28;
	b->nest_off[1][1] = 130;
	ok(policy_batch_rule(b, 0, &e) == 0,
	   "batch rule: no offset, the message's first rule");
	e.has_bad_attr = true;
	e.bad_attr_off = 28;
	ok(policy_batch_rule(b, 0, &e) == 0, "batch rule: the first nest itself");
	e.bad_attr_off = 124;
	ok(policy_batch_rule(b, 0, &e) == 1,
	   "batch rule: an attribute inside the second nest");
	e.bad_attr_off = 400;
	ok(policy_batch_rule(b, 0, &e) == 2, "batch rule: inside the last nest");
	e.bad_attr_off = 132;
	ok(policy_batch_rule(b, 1, &e) == 4,
	   "batch rule: the second message counts from its first rule");
	e.bad_attr_off = 20;
	ok(policy_batch_rule(b, 1, &e) == 3,
	   "batch rule: an offset before the nests (a top-level attribute)");
	free(b);
}

static void test_command(void)
{
	char path[] = "/tmp/kmtls-restore-XXXXXX";
	static const char text[] =
		"action allow\n"
		"\n"
		"src spiffe://a/b action alow\n";
	char *argv[6], *out, *err, want[256];
	int fd, ret;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, sizeof(text) - 1) != sizeof(text) - 1) {
		ok(true, "restore of a bad file # SKIP cannot write %s", path);
		return;
	}
	close(fd);
	argv[0] = "kmtls";
	argv[1] = "policy";
	argv[2] = "restore";
	argv[3] = "keep";
	argv[4] = path;
	argv[5] = NULL;
	ret = run(argv, 5, &out, &err);
	snprintf(want, sizeof(want),
		 "%s:3: invalid action \"alow\": expected allow, deny or audit\n",
		 path);
	ok(ret == EXIT_FAIL && out[0] == '\0' && strcmp(err, want) == 0,
	   "restore keep FILE with a mistake: FILE:LINE on stderr, exit 1, "
	   "no netlink (no \"module not loaded\")");
	if (strcmp(err, want))
		diag_str("stderr", err);
	free(out);
	free(err);

	argv[3] = path;
	argv[4] = "keep";
	ret = run(argv, 5, &out, &err);
	ok(ret == EXIT_FAIL && strcmp(err, want) == 0,
	   "restore FILE keep: the same");
	free(out);
	free(err);
	unlink(path);
}

int main(void)
{
	test_read();
	test_errors();
	test_show_round_trip();
	test_many();
	test_batch();
	test_batch_rule();
	test_command();
	return tap_done();
}
