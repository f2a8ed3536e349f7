// SPDX-License-Identifier: GPL-2.0
/*
 * "policy restore": replace the whole rule set, atomically, with the rules
 * of a file.
 *
 *	kmtls policy restore [keep] [FILE | -]
 *
 * FILE holds one rule per line in the form "policy show" prints (and
 * "policy add" takes after the command); "policy show -s" output works
 * too, its " hits N" ignored.  Blank lines are skipped, and a word that
 * starts with "#" starts a comment to the end of the line.  Without FILE,
 * or with "-", the rules come from standard input.  "keep" is a word of
 * restore, not of a rule: it may come before or after FILE (a file called
 * "keep" is "./keep").
 *
 * How it goes, over ONE netlink socket (the kernel stages rules per
 * socket and drops them when the socket closes):
 *
 *  1. Every line is read and checked first.  Any mistake: "FILE:LINE:
 *     message" for each (at most RESTORE_MAX_ERRORS), exit 1, nothing sent.
 *  2. The rules go to the kernel as POLICY_ADD with STAGE, each message
 *     carrying up to RESTORE_MSG_RULES of them as nested RULE attributes
 *     (the first message also RULES, the count, so the kernel sizes its
 *     tables once), in batches of up to RESTORE_BATCH_MSGS messages (at
 *     most RESTORE_BATCH_BYTES) per sendmsg().  Only the last message of a batch asks for an ACK: the
 *     kernel answers the others only when they fail, and the ACK says the
 *     whole batch was handled.  The answers are drained after each batch.
 *  3. A rule the kernel refused: "FILE:LINE: <its message>", exit 1 (the
 *     kernel stops at it and points into its nest; that finds the line).  The
 *     socket closes without a commit, so the staged rules are dropped and
 *     the current set never changed.
 *  4. POLICY_COMMIT (with KEEP if asked) swaps the staged set in; its reply
 *     says how many rules the set has and how many established flows the
 *     change reset or, with keep, left open.
 *
 * An empty file is valid: it commits the empty set.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"

#define POLICY_HINT	"kmtls policy help"

/* How long to wait for the ACK that ends a batch (the kernel handles a
 * batch while sendmsg() runs; this only guards against a lost answer). */
#define RESTORE_ACK_TIMEOUT_MS	10000

/* ---- the file ---------------------------------------------------------- */

void policy_file_free(struct policy_file *pf)
{
	free(pf->text);
	free(pf->v);
	free(pf->line);
	*pf = (struct policy_file){ 0 };
}

/* Append r (its strings in pf->text), read at line. */
static int file_push(struct policy_file *pf, const struct kmtls_rule *r,
		     unsigned long line)
{
	if (pf->n == pf->cap) {
		size_t cap = pf->cap ? 2 * pf->cap : 64;
		void *v = realloc(pf->v, cap * sizeof(*pf->v));

		if (!v)
			return -ENOMEM;
		pf->v = v;
		v = realloc(pf->line, cap * sizeof(*pf->line));
		if (!v)
			return -ENOMEM;
		pf->line = v;
		pf->cap = cap;
	}
	pf->v[pf->n] = *r;
	pf->line[pf->n] = line;
	pf->n++;
	return 0;
}

/* All of in into a new NUL-terminated buffer *text of *len bytes. */
static int read_all(FILE *in, char **text, size_t *len)
{
	size_t cap = 64 * 1024, n = 0, got;
	char *buf = malloc(cap), *p;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - n < 2) {
			p = realloc(buf, 2 * cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n - 1, in);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/*
 * The whole input is read into one buffer and parsed in place, the rules'
 * strings pointing into it: no copy per line or per pattern (100,000 rules
 * are read in a QEMU/TCG guest too).
 */
int policy_file_read(FILE *in, const char *name, struct policy_file *pf,
		     FILE *err)
{
	unsigned long lineno = 0;
	unsigned int errors = 0;
	struct kmtls_rule r;
	char *p, *eol, *end, why[512];
	size_t len;
	int ret;

	errno = 0;
	ret = read_all(in, &pf->text, &len);
	if (ret == -ENOMEM) {
		fputs("Error: out of memory\n", err);
		return ret;
	}
	if (ret) {
		fprintf(err, "Error: %s: read error: %s\n", name,
			strerror(errno ? errno : EIO));
		return ret;
	}
	end = pf->text + len;
	for (p = pf->text; p < end; p = eol + 1) {
		lineno++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;	/* the buffer's own NUL */
		if (memchr(p, '\0', (size_t)(eol - p))) {
			snprintf(why, sizeof(why), "a NUL byte in the line");
			ret = -EINVAL;
		} else {
			*eol = '\0';
			ret = policy_line_parse(p, &r, why, sizeof(why));
		}
		if (ret == -EINVAL) {
			fprintf(err, "%s:%lu: %s\n", name, lineno, why);
			if (++errors == RESTORE_MAX_ERRORS) {
				fprintf(err, "%s: %u errors, stopped reading\n",
					name, errors);
				break;
			}
			continue;
		}
		if (ret == 1 && file_push(pf, &r, lineno)) {
			fputs("Error: out of memory\n", err);
			return -ENOMEM;
		}
	}
	return errors ? -EINVAL : 0;
}

/* ---- the kernel's answers to a batch ------------------------------------ */

int policy_batch_answers(struct policy_batch *b, const void *buf, size_t len,
			 uint32_t portid, struct kmtls_nl_err *err)
{
	const struct nlmsghdr *nlh = NULL;
	struct kmtls_nl_err one;
	size_t off = 0;
	uint32_t index;
	int e, ret;

	while ((ret = kmtls_nl_next(buf, len, &off, &nlh, err)) > 0) {
		/* Sequence numbers wrap: index is the distance from seq0. */
		index = nlh->nlmsg_seq - b->seq0;
		if (index >= b->n || (nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			continue;
		/* A reply message the kernel may send for a staged rule
		 * carries nothing we need; its ACK or error follows. */
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		e = kmtls_nl_parse_error(nlh, &one);
		if (e) {
			if (b->nerr < RESTORE_MAX_ERRORS) {
				b->errs[b->nerr].index = index;
				b->errs[b->nerr].err = one;
			}
			b->nerr++;
		}
		if (index == b->n - 1)
			b->done = true;
	}
	return ret;
}

/* ---- talking to the kernel ---------------------------------------------- */

/* "NAME:LINE: message" for a rule the kernel refused. */
static void line_error(struct kmtls_ctx *ctx, const char *name,
		       unsigned long line, const struct kmtls_nl_err *err)
{
	int e = err->err ? -err->err : EIO;

	fprintf(ctx->err, "%s:%lu: %s\n", name, line,
		err->msg[0] ? err->msg : strerror(e));
}

/* Wait for the answers to batch b; EXIT_OK or EXIT_FAIL after reporting. */
static int batch_wait(struct kmtls_ctx *ctx, struct kmtls_nl *nl,
		      struct policy_batch *b, void *rx, size_t rxlen)
{
	struct pollfd pfd = { .fd = kmtls_nl_fd(nl), .events = POLLIN };
	struct kmtls_nl_err err;
	ssize_t n;
	int ret;

	while (!b->done) {
		n = kmtls_nl_recv(nl, rx, rxlen, &err);
		if (n == -EAGAIN) {
			ret = poll(&pfd, 1, RESTORE_ACK_TIMEOUT_MS);
			if (ret < 0 && errno == EINTR)
				continue;
			if (ret == 0) {
				fputs("Error: no answer from the kernel to the staged rules; nothing was restored\n",
				      ctx->err);
				return EXIT_FAIL;
			}
			continue;
		}
		if (n == -ENOBUFS) {
			fputs("Error: answers from the kernel were lost (receive buffer full); nothing was restored\n",
			      ctx->err);
			return EXIT_FAIL;
		}
		if (n < 0)
			return nl_error(ctx, &err);
		if (policy_batch_answers(b, rx, (size_t)n, kmtls_nl_portid(nl),
					 &err))
			return nl_error(ctx, &err);
	}
	return EXIT_OK;
}

size_t policy_batch_rule(const struct policy_batch *b, uint32_t msg,
			 const struct kmtls_nl_err *err)
{
	size_t r = b->first[msg];
	uint16_t i;

	if (err->has_bad_attr)
		for (i = 1; i < b->nrules[msg]; i++)
			if (err->bad_attr_off >= b->nest_off[msg][i])
				r = b->first[msg] + i;
	return r;
}

/* Report the rules of batch b (starting at rule first) that failed. */
static int batch_errors(struct kmtls_ctx *ctx, const char *name,
			const struct policy_file *pf, size_t first,
			const struct policy_batch *b)
{
	size_t i, shown = b->nerr < RESTORE_MAX_ERRORS ? b->nerr :
			  RESTORE_MAX_ERRORS;

	/* Unprivileged: every rule fails the same way; say it once. */
	if (b->errs[0].err.err == -EPERM)
		return nl_error(ctx, &b->errs[0].err);
	for (i = 0; i < shown; i++)
		line_error(ctx, name,
			   pf->line[first + policy_batch_rule(b, b->errs[i].index,
							      &b->errs[i].err)],
			   &b->errs[i].err);
	if (b->nerr > shown)
		fprintf(ctx->err, "%s: %zu more requests refused\n", name,
			b->nerr - shown);
	return EXIT_FAIL;
}

/*
 * Fill the message nlh with rules of pf from rule first + *k on (nested,
 * at most RESTORE_MSG_RULES, as many as fit), recording them in message
 * m of b.  0, or -1 when not even one rule fits.
 */
static int fill_message(struct nlmsghdr *nlh, const struct policy_file *pf,
			size_t first, size_t *k, struct policy_batch *b,
			uint32_t m)
{
	struct nlattr *nest;
	uint16_t n = 0;

	b->first[m] = (uint32_t)*k;
	while (first + *k < pf->n && n < RESTORE_MSG_RULES) {
		nest = mnl_attr_nest_start_check(nlh, KMTLS_NL_TX_SIZE,
						 KMTLS_A_POLICY_RULE);
		if (!nest)
			break;
		if (!policy_put(nlh, &pf->v[first + *k])) {
			mnl_attr_nest_cancel(nlh, nest);
			break;
		}
		mnl_attr_nest_end(nlh, nest);
		b->nest_off[m][n++] = (uint32_t)((uint8_t *)nest - (uint8_t *)nlh);
		(*k)++;
	}
	b->nrules[m] = n;
	return n ? 0 : -1;
}

/* Stage every rule of pf, batch by batch; EXIT_OK or EXIT_FAIL. */
static int stage_all(struct kmtls_ctx *ctx, struct kmtls_nl *nl,
		     const char *name, const struct policy_file *pf)
{
	uint8_t *tx = malloc(RESTORE_BATCH_BYTES);
	uint8_t *rx = malloc(KMTLS_NL_RX_SIZE);
	struct policy_batch *b = malloc(sizeof(*b));
	struct kmtls_nl_err err;
	struct nlmsghdr *nlh;
	size_t first, len, k;
	int ret = EXIT_OK;

	if (!tx || !rx || !b) {
		fputs("Error: out of memory\n", ctx->err);
		ret = EXIT_FAIL;
		goto out;
	}
	for (first = 0; first < pf->n; first += k) {
		*b = (struct policy_batch){ 0 };
		len = 0;
		k = 0;
		nlh = NULL;
		/* One message is at most KMTLS_NL_TX_SIZE bytes. */
		while (first + k < pf->n && b->n < RESTORE_BATCH_MSGS &&
		       RESTORE_BATCH_BYTES - len >= KMTLS_NL_TX_SIZE) {
			nlh = kmtls_nl_msg_init(nl, tx + len,
						KMTLS_CMD_POLICY_ADD, 0);
			if (b->n == 0)
				b->seq0 = nlh->nlmsg_seq;
			/* The first message says how many rules follow: the
			 * kernel sizes the staged set's tables once.
			 */
			if (!mnl_attr_put_check(nlh, KMTLS_NL_TX_SIZE,
						KMTLS_A_POLICY_STAGE, 0, NULL) ||
			    (first + k == 0 &&
			     !mnl_attr_put_u32_check(nlh, KMTLS_NL_TX_SIZE,
						     KMTLS_A_POLICY_RULES,
						     (uint32_t)pf->n)) ||
			    fill_message(nlh, pf, first, &k, b, b->n)) {
				fprintf(ctx->err,
					"%s:%lu: patterns too long together for one request\n",
					name, pf->line[first + k]);
				ret = EXIT_FAIL;
				goto out;
			}
			len += NLMSG_ALIGN(nlh->nlmsg_len);
			b->n++;
		}
		nlh->nlmsg_flags |= NLM_F_ACK;
		if (kmtls_nl_send_batch(nl, tx, len, &err)) {
			ret = nl_error(ctx, &err);
			goto out;
		}
		ret = batch_wait(ctx, nl, b, rx, KMTLS_NL_RX_SIZE);
		if (ret)
			goto out;
		if (b->nerr) {
			ret = batch_errors(ctx, name, pf, first, b);
			goto out;
		}
	}
out:
	free(tx);
	free(rx);
	free(b);
	return ret;
}

/* Stage pf and commit it; EXIT_OK or EXIT_FAIL after reporting. */
static int restore(struct kmtls_ctx *ctx, const char *name,
		   const struct policy_file *pf, bool keep)
{
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct policy_result res = { 0 };
	struct kmtls_nl_reply reply;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	int ret;

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	ret = stage_all(ctx, nl, name, pf);
	if (ret) {
		/* Closing the socket drops what it staged. */
		kmtls_nl_close(nl);
		return ret;
	}
	nlh = kmtls_nl_msg_start(nl, KMTLS_CMD_POLICY_COMMIT, 0);
	if (keep)
		mnl_attr_put_check(nlh, KMTLS_NL_TX_SIZE, KMTLS_A_POLICY_KEEP,
				   0, NULL);
	policy_result_reply_init(&reply, tb, &res);
	ret = nl_change_reply(ctx, nl, nlh, &reply);
	if (ret)
		return ret;
	if (!res.has_rules)
		res.rules = (uint32_t)pf->n;
	return print_result(ctx, policy_result_print(ctx->out, &ctx->opts,
						     true, &res));
}

int policy_restore(struct kmtls_ctx *ctx, int argc, char **argv)
{
	struct policy_file pf = { 0 };
	const char *path = NULL, *name;
	bool keep = false;
	FILE *in;
	int i, ret;

	if (argc > 0 && strcmp(argv[0], "help") == 0) {
		help_policy(ctx->out);
		return EXIT_OK;
	}
	/* Exact words: anything else may be a file name. */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "keep") == 0) {
			if (keep)
				return usage_error(ctx, POLICY_HINT,
						   "keep given twice (a file called keep is ./keep)");
			keep = true;
		} else if (!path) {
			path = argv[i];
		} else {
			return usage_error(ctx, POLICY_HINT,
					   "unexpected argument \"%s\" (restore reads one FILE)",
					   argv[i]);
		}
	}

	if (!path || strcmp(path, "-") == 0) {
		in = stdin;
		name = "<stdin>";
	} else {
		in = fopen(path, "r");
		if (!in) {
			fprintf(ctx->err, "Error: cannot open %s: %s\n", path,
				strerror(errno));
			return EXIT_FAIL;
		}
		name = path;
	}
	ret = policy_file_read(in, name, &pf, ctx->err);
	if (in != stdin)
		fclose(in);
	if (ret == 0)
		ret = restore(ctx, name, &pf, keep);
	else
		ret = EXIT_FAIL;
	policy_file_free(&pf);
	return ret;
}
