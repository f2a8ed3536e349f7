// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: random generic netlink messages to the kmtls family.
 *
 *   nlfuzz [COUNT [SEED]]      COUNT defaults to 5000, SEED to the clock
 *
 * The first half of the messages is sent as root, the second half by a
 * forked child that became nobody without capabilities.  Messages have
 * random commands, versions, flags and attributes (nested, byte-order bit,
 * lengths that lie), and now and then a broken nlmsghdr.  After each one a
 * NLMSG_NOOP with NLM_F_ACK goes out as a separate datagram: the kernel
 * handles netlink requests synchronously and in order, so everything
 * received before the NOOP's ack belongs to the fuzz message, and nothing
 * is waited for in vain.
 *
 * Fails if: the kernel does not ack the NOOP within 2 s; a request with a
 * well-formed nlmsghdr and NLM_F_ACK gets no answer; a request with a broken
 * nlmsghdr gets one; an answer is malformed; the unprivileged half changes
 * the configuration; afterwards get-status fails, the handshake timeout is
 * out of its range or cannot be set back to the default.
 *
 * TAP output: "1..1", comments, "ok 1"/"not ok 1".  Exit 0 only on success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmtls.h>

#include "nl_util.h"

#define DEFAULT_COUNT	5000
#define RCV_TIMEOUT_MS	2000
#define TIME_BUDGET_S	40	/* stop sending after this, whatever COUNT says */
#define MAX_ERRNO	4095
#define MAX_SHOWN	20	/* failure lines printed per process */
#define WHYLEN		512

struct stats {
	unsigned long sent;
	unsigned long answers[MAX_ERRNO + 1];	/* NLMSG_ERROR by -errno */
	unsigned long done;			/* NLMSG_DONE */
	unsigned long data;			/* reply messages */
	unsigned long silent;			/* no answer, none required */
	unsigned long broken_hdr;		/* kernel must drop these */
	unsigned long with_extack;		/* errors with a message */
	unsigned long without_extack;		/* errors without one */
	unsigned long late;			/* answers to an older request */
	unsigned long failures;
	bool stopped_early;
};

static struct stats *cur;	/* stats of this process */
static unsigned long shown;

static void fail(const char *fmt, ...)
{
	va_list ap;

	cur->failures++;
	if (shown++ >= MAX_SHOWN) {
		if (shown == MAX_SHOWN + 1)
			printf("# FAIL: (further failures not shown)\n");
		return;
	}
	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- randomness: xorshift64*, reproducible from the seed ---------------- */

static __u64 rng_state;

static void rng_seed(unsigned long long seed)
{
	/* splitmix64 step so that small seeds give a good start */
	__u64 z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng_state = (z ^ (z >> 31)) | 1;
}

static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static __u32 below(__u32 n)
{
	return n ? (__u32)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* ---- message generation ------------------------------------------------- */

static union {
	unsigned char b[NL_MSG_MAX];
	__u64 align_;
} msg;

struct fuzz_info {
	size_t len;		/* bytes sent */
	bool hdr_ok;		/* kernel will process the first nlmsghdr */
	bool want_answer;	/* hdr_ok and NLM_F_ACK: an answer must come */
};

static __u32 interesting_u32(void)
{
	static const __u32 v[] = {
		0, 1, 99, 100, 101, 5000, 10000, 599999, 600000, 600001,
		0x7fffffff, 0x80000000, 0xffffffff,
	};

	if (chance(20))
		return (__u32)rnd();
	return v[below(sizeof(v) / sizeof(v[0]))];
}

static __u16 random_attr_type(void)
{
	__u16 t;
	int r = (int)below(100);

	if (r < 25)
		t = KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS;
	else if (r < 70)
		t = (__u16)below(10);
	else
		t = (__u16)rnd() & NLA_TYPE_MASK;
	if (chance(10))
		t |= NLA_F_NESTED;
	if (chance(10))
		t |= NLA_F_NET_BYTEORDER;
	return t;
}

static size_t random_payload_len(void)
{
	static const size_t v[] = { 0, 1, 2, 3, 4, 4, 4, 5, 7, 8, 8, 12, 16 };

	if (chance(10))
		return below(200);
	return v[below(sizeof(v) / sizeof(v[0]))];
}

static void random_payload(unsigned char *p, size_t len)
{
	size_t i;

	if (len == 4 && chance(60)) {
		__u32 v = interesting_u32();

		memcpy(p, &v, 4);
		return;
	}
	if (len == 8 && chance(40)) {
		__u64 v = interesting_u32();

		memcpy(p, &v, 8);
		return;
	}
	if (len && chance(10)) {	/* a string */
		for (i = 0; i + 1 < len; i++)
			p[i] = (unsigned char)('a' + below(26));
		p[len - 1] = chance(80) ? '\0' : 'z';
		return;
	}
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)rnd();
}

/* Append random attributes to msg.b at *off, never past end. */
static void random_attrs(size_t *off, size_t end, int depth)
{
	int i, n = (int)below(depth ? 4 : 7);

	for (i = 0; i < n; i++) {
		size_t start = *off, room = end - *off, plen, alen;
		struct nlattr *a = (struct nlattr *)(msg.b + start);
		int kind = (int)below(100);

		if (room < NLA_HDRLEN)
			return;

		if (kind < 15 && depth < 2) {
			/* a nest of more random attributes */
			a->nla_type = random_attr_type() |
				      (chance(85) ? NLA_F_NESTED : 0);
			*off += NLA_HDRLEN;
			random_attrs(off, end, depth + 1);
			alen = *off - start;
			a->nla_len = (__u16)alen;
			continue;
		}

		if (kind < 45) {
			/* what set-config wants, with an interesting value */
			a->nla_type = KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS;
			plen = 4;
		} else {
			a->nla_type = random_attr_type();
			plen = random_payload_len();
		}
		if (plen > room - NLA_HDRLEN)
			plen = room - NLA_HDRLEN;
		random_payload(msg.b + start + NLA_HDRLEN, plen);
		a->nla_len = (__u16)(NLA_HDRLEN + plen);
		alen = NLA_ALIGN(NLA_HDRLEN + plen);
		if (alen > room || chance(5))
			alen = NLA_HDRLEN + plen;	/* no padding */

		if (kind >= 88) {
			/* a length that lies */
			switch (below(5)) {
			case 0:		/* smaller than the header */
				a->nla_len = (__u16)below(NLA_HDRLEN);
				break;
			case 1:		/* a little too long */
				a->nla_len = (__u16)(a->nla_len + 1 + below(16));
				break;
			case 2:		/* past the end of the message */
				a->nla_len = (__u16)(end - start + 1 + below(64));
				break;
			case 3:
				a->nla_len = 0xffff;
				break;
			default:
				a->nla_len = (__u16)rnd();
				break;
			}
		}
		*off += alen;
	}
}

static __u16 random_nlmsg_flags(void)
{
	__u16 f = 0;

	if (chance(93))
		f |= NLM_F_REQUEST;
	if (chance(70))
		f |= NLM_F_ACK;
	if (chance(10))
		f |= NLM_F_DUMP;
	if (chance(5))
		f |= NLM_F_ECHO;
	if (chance(8))
		f |= (__u16)rnd();
	return f;
}

static __u8 random_cmd(void)
{
	int r = (int)below(100);

	if (r < 25)
		return KMTLS_CMD_GET_STATUS;
	if (r < 55)
		return KMTLS_CMD_SET_CONFIG;
	if (r < 80)
		return (__u8)below(5);
	return (__u8)rnd();
}

/* Build one fuzz message in msg.b. */
static void random_message(__u16 family, __u32 seq, struct fuzz_info *fi)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg.b;
	size_t cap = chance(90) ? 512 : sizeof(msg.b);
	size_t off = NLMSG_HDRLEN, total, i;
	__u16 flags = random_nlmsg_flags();
	int r;

	memset(msg.b, 0, cap);
	if (chance(96)) {
		struct genlmsghdr *g = (struct genlmsghdr *)(msg.b + off);

		g->cmd = random_cmd();
		g->version = chance(80) ? KMTLS_FAMILY_VERSION : (__u8)rnd();
		g->reserved = chance(90) ? 0 : (__u16)rnd();
		off += GENL_HDRLEN;
		random_attrs(&off, cap, 0);
	} else {
		/* no room for a whole genlmsghdr */
		size_t n = below(GENL_HDRLEN);

		for (i = 0; i < n; i++)
			msg.b[off++] = (unsigned char)rnd();
	}
	if (chance(5)) {	/* trailing junk */
		size_t n = 1 + below(7);

		for (i = 0; i < n && off < cap; i++)
			msg.b[off++] = (unsigned char)rnd();
	}
	total = off;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = chance(90) ? 0 : (__u32)rnd();
	nlh->nlmsg_len = (__u32)total;
	fi->hdr_ok = true;

	r = (int)below(100);
	if (r < 80) {
		/* honest */
	} else if (r < 86) {
		/* longer than what is sent: dropped */
		nlh->nlmsg_len = chance(80) ? (__u32)(total + 1 + below(64))
					    : (__u32)rnd() | 0x80000000u;
		fi->hdr_ok = false;
	} else if (r < 90) {
		/* shorter than the header itself: dropped */
		nlh->nlmsg_len = below(NLMSG_HDRLEN);
		fi->hdr_ok = false;
	} else if (r < 97) {
		/* shorter than what is sent: the kernel handles the cut
		 * message, then reads the rest as further messages.  Make the
		 * rest a kmtls message too (or too short to count), so
		 * nothing reaches another family.
		 */
		size_t cut = NLMSG_HDRLEN + below((__u32)(total - NLMSG_HDRLEN));
		size_t next = NLMSG_ALIGN(cut);

		nlh->nlmsg_len = (__u32)cut;
		if (next + NLMSG_HDRLEN <= total) {
			struct nlmsghdr *n2 = (struct nlmsghdr *)(msg.b + next);

			n2->nlmsg_len = (__u32)(total - next);
			n2->nlmsg_type = family;
			n2->nlmsg_flags = random_nlmsg_flags();
			n2->nlmsg_seq = seq;
			n2->nlmsg_pid = 0;
		}
	} else {
		/* not even a whole nlmsghdr is sent */
		total = 1 + below(NLMSG_HDRLEN - 1);
		fi->hdr_ok = false;
	}
	fi->len = total;
	fi->want_answer = fi->hdr_ok && (flags & NLM_F_ACK);
}

/* ---- one exchange ------------------------------------------------------- */

static bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/*
 * Send the fuzz message, then the NOOP, and read until the NOOP's ack.
 * Returns false if the loop cannot go on (no ack: the socket or the kernel
 * is in trouble).
 */
static bool exchange(struct nl_sock *s, __u16 family, unsigned long idx)
{
	static union {
		unsigned char b[NL_RCVBUF];
		__u64 align_;
	} rbuf;
	static struct nl_reply reply;
	struct nl_reply *r = &reply;
	__u32 seq = ++s->seq, sync_seq = ++s->seq;
	struct fuzz_info fi;
	struct nl_msg sync;
	unsigned long answers = 0;
	bool synced = false;
	int ret;

	random_message(family, seq, &fi);
	ret = nl_send(s, msg.b, fi.len);
	if (ret) {
		fail("message %lu: send: %s", idx, strerror(-ret));
		return false;
	}
	cur->sent++;
	if (!fi.hdr_ok)
		cur->broken_hdr++;

	nlm_init(&sync, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, sync_seq);
	ret = nl_send(s, sync.buf, sync.len);
	if (ret) {
		fail("message %lu: send NOOP: %s", idx, strerror(-ret));
		return false;
	}

	while (!synced) {
		const struct nlmsghdr *nlh;
		int n, rem;

		n = nl_recv(s, rbuf.b, sizeof(rbuf.b));
		if (n < 0) {
			fail("message %lu: %s while waiting for the NOOP's ack",
			     idx, n == -EAGAIN ? "nothing within 2 s"
					       : strerror(-n));
			return false;
		}
		for (nlh = (const struct nlmsghdr *)rbuf.b, rem = n;
		     rem >= (int)sizeof(*nlh) &&
		     nlh->nlmsg_len >= sizeof(*nlh) &&
		     nlh->nlmsg_len <= (__u32)rem;
		     rem -= NLMSG_ALIGN(nlh->nlmsg_len),
		     nlh = (const struct nlmsghdr *)((const char *)nlh +
						     NLMSG_ALIGN(nlh->nlmsg_len))) {
			bool term = nlh->nlmsg_type == NLMSG_ERROR ||
				    nlh->nlmsg_type == NLMSG_DONE;

			if (nlh->nlmsg_seq == sync_seq) {
				if (nlh->nlmsg_type != NLMSG_ERROR ||
				    nl_parse_error(nlh, r) || r->error) {
					fail("message %lu: bad answer to the NOOP (type %u, %s)",
					     idx, nlh->nlmsg_type,
					     errno_name(r->error));
					return false;
				}
				synced = true;
				continue;
			}
			if (nlh->nlmsg_seq != seq) {
				if (seq_before(nlh->nlmsg_seq, seq)) {
					cur->late++;
				} else {
					fail("message %lu: answer with seq %u, expected %u",
					     idx, nlh->nlmsg_seq, seq);
				}
				continue;
			}
			if (synced)
				cur->late++;
			if (term) {
				answers++;
				if (nl_parse_error(nlh, r)) {
					fail("message %lu: malformed %s (len %u)",
					     idx, nlh->nlmsg_type == NLMSG_DONE ?
					     "NLMSG_DONE" : "NLMSG_ERROR",
					     nlh->nlmsg_len);
					continue;
				}
				if (nlh->nlmsg_type == NLMSG_DONE)
					cur->done++;
				else
					cur->answers[-r->error]++;
				if (r->error && r->has_msg)
					cur->with_extack++;
				else if (r->error)
					cur->without_extack++;
			} else if (nlh->nlmsg_type != family ||
				   nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
				fail("message %lu: reply of type %u, length %u",
				     idx, nlh->nlmsg_type, nlh->nlmsg_len);
			} else {
				cur->data++;
			}
		}
		if (rem != 0)
			fail("message %lu: datagram ends in a broken nlmsghdr",
			     idx);
	}

	if (fi.want_answer && !answers) {
		fail("message %lu: well-formed with NLM_F_ACK but no answer",
		     idx);
	} else if (!fi.hdr_ok && answers) {
		fail("message %lu: broken nlmsghdr (len %zu sent) answered",
		     idx, fi.len);
	} else if (!answers) {
		cur->silent++;
	}
	return true;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(struct nl_sock *s, __u16 family, unsigned long first,
		unsigned long count, double deadline)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		if (now() > deadline) {
			cur->stopped_early = true;
			return;
		}
		if (!exchange(s, family, first + i))
			return;
	}
}

/* The unprivileged half, in a forked child: become nobody, open a socket of
 * its own, and check the configuration did not move.
 */
static int unprivileged_half(__u16 family, unsigned long first,
			     unsigned long count, double deadline)
{
	struct kmtls_status before, after;
	char why[WHYLEN];
	struct nl_sock s;
	int ret;

	if (become_nobody(why, sizeof(why))) {
		fail("unprivileged child: %s", why);
		return 1;
	}
	ret = nl_open(&s, RCV_TIMEOUT_MS);
	if (ret) {
		fail("unprivileged child: socket: %s", strerror(-ret));
		return 1;
	}
	if (kmtls_get_status(&s, family, &before, why, sizeof(why))) {
		fail("unprivileged get-status before fuzzing: %s", why);
		return 1;
	}
	run(&s, family, first, count, deadline);
	if (kmtls_get_status(&s, family, &after, why, sizeof(why))) {
		fail("unprivileged get-status after fuzzing: %s", why);
		return 1;
	}
	if (after.config_changes != before.config_changes ||
	    after.handshake_timeout_ms != before.handshake_timeout_ms) {
		fail("unprivileged messages changed the configuration: timeout %u -> %u, config-changes %llu -> %llu",
		     before.handshake_timeout_ms, after.handshake_timeout_ms,
		     (unsigned long long)before.config_changes,
		     (unsigned long long)after.config_changes);
	}
	nl_close(&s);
	return 0;
}

static void add_stats(struct stats *to, const struct stats *from)
{
	int i;

	to->sent += from->sent;
	for (i = 0; i <= MAX_ERRNO; i++)
		to->answers[i] += from->answers[i];
	to->done += from->done;
	to->data += from->data;
	to->silent += from->silent;
	to->broken_hdr += from->broken_hdr;
	to->with_extack += from->with_extack;
	to->without_extack += from->without_extack;
	to->late += from->late;
	to->failures += from->failures;
	to->stopped_early |= from->stopped_early;
}

static void print_stats(const struct stats *st)
{
	int i;

	printf("# messages sent: %lu (broken nlmsghdr: %lu)\n", st->sent,
	       st->broken_hdr);
	printf("# answers by errno:\n");
	for (i = 0; i <= MAX_ERRNO; i++)
		if (st->answers[i])
			printf("# %s: %lu\n", errno_name(-i), st->answers[i]);
	if (st->done)
		printf("# NLMSG_DONE: %lu\n", st->done);
	printf("# reply messages: %lu\n", st->data);
	printf("# no answer (none required): %lu\n", st->silent);
	printf("# errors with an extack message: %lu, without: %lu\n",
	       st->with_extack, st->without_extack);
	if (st->late)
		printf("# late answers: %lu\n", st->late);
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [COUNT [SEED]]\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long count = DEFAULT_COUNT, half;
	unsigned long long seed;
	struct kmtls_status st;
	struct genl_family_info fi;
	struct stats *mine, *child;
	char why[WHYLEN], *end;
	struct nl_sock s;
	double start, deadline;
	bool root = geteuid() == 0;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3)
		return usage(argv[0]);
	if (argc > 1) {
		errno = 0;
		count = strtoul(argv[1], &end, 0);
		if (errno || *end || !count)
			return usage(argv[0]);
	}
	if (argc > 2) {
		errno = 0;
		seed = strtoull(argv[2], &end, 0);
		if (errno || *end)
			return usage(argv[0]);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (unsigned long long)ts.tv_sec * 1000003ULL ^
		       (unsigned long long)ts.tv_nsec ^
		       ((unsigned long long)getpid() << 32);
	}
	rng_seed(seed);

	/* Both halves' counters live in shared memory: the child's survive it. */
	mine = mmap(NULL, 2 * sizeof(*mine), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mine == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	child = mine + 1;
	cur = mine;

	printf("TAP version 13\n1..1\n");
	printf("# nlfuzz: %lu messages, seed %llu (reproduce: %s %lu %llu)\n",
	       count, seed, argv[0], count, seed);

	start = now();
	deadline = start + TIME_BUDGET_S;

	ret = nl_open(&s, RCV_TIMEOUT_MS);
	if (ret) {
		fail("cannot open a generic netlink socket: %s", strerror(-ret));
		goto out;
	}
	ret = genl_resolve(&s, KMTLS_FAMILY_NAME, &fi);
	if (ret) {
		fail("generic netlink family \"%s\" not found (%s): is the kmtls module loaded?",
		     KMTLS_FAMILY_NAME, errno_name(ret));
		goto out;
	}
	printf("# family %s: id %u, version %u\n", KMTLS_FAMILY_NAME, fi.id,
	       fi.version);

	if (!root) {
		printf("# not root: all %lu messages sent as uid %u\n", count,
		       (unsigned int)geteuid());
		run(&s, fi.id, 0, count, deadline);
	} else {
		pid_t pid;
		int status;

		half = count / 2;
		printf("# %lu messages as root, %lu as uid %d without capabilities\n",
		       half, count - half, NOBODY);
		run(&s, fi.id, 0, half, deadline);

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
		} else if (pid == 0) {
			cur = child;
			shown = 0;
			_exit(unprivileged_half(fi.id, half, count - half,
						deadline));
		} else if (waitpid(pid, &status, 0) != pid) {
			fail("waitpid: %s", strerror(errno));
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail("unprivileged child ended with status 0x%x",
			     status);
		}
		add_stats(mine, child);
	}

	/* The family still answers, and the setting is sane. */
	if (kmtls_get_status(&s, fi.id, &st, why, sizeof(why))) {
		fail("get-status after fuzzing: %s", why);
		goto out;
	}
	printf("# handshake-timeout-ms after fuzzing: %u\n",
	       st.handshake_timeout_ms);
	if (st.handshake_timeout_ms < KMTLS_HANDSHAKE_TIMEOUT_MIN_MS ||
	    st.handshake_timeout_ms > KMTLS_HANDSHAKE_TIMEOUT_MAX_MS)
		fail("handshake-timeout-ms %u is outside %u..%u",
		     st.handshake_timeout_ms, KMTLS_HANDSHAKE_TIMEOUT_MIN_MS,
		     KMTLS_HANDSHAKE_TIMEOUT_MAX_MS);
	if (root) {
		if (kmtls_set_timeout(&s, fi.id,
				      KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS,
				      why, sizeof(why)))
			fail("restoring handshake-timeout-ms %u: %s",
			     KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS, why);
		else if (kmtls_get_status(&s, fi.id, &st, why, sizeof(why)))
			fail("get-status after the restore: %s", why);
		else if (st.handshake_timeout_ms !=
			 KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS)
			fail("handshake-timeout-ms is %u after restoring %u",
			     st.handshake_timeout_ms,
			     KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS);
	}

out:
	print_stats(mine);
	if (mine->stopped_early)
		printf("# stopped early: the %d s time budget ran out\n",
		       TIME_BUDGET_S);
	printf("# elapsed: %.2f s\n", now() - start);
	if (mine->failures) {
		printf("# %lu failures\n", mine->failures);
		printf("not ok 1 - nlfuzz: %lu random messages to %s (seed %llu)\n",
		       count, KMTLS_FAMILY_NAME, seed);
		return 1;
	}
	printf("ok 1 - nlfuzz: %lu random messages to %s (seed %llu)\n",
	       count, KMTLS_FAMILY_NAME, seed);
	return 0;
}
