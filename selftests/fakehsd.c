// SPDX-License-Identifier: GPL-2.0
/*
 * fakehsd: a stand-in handshake daemon for the kernel's data-path tests.
 * It speaks the kmtls daemon protocol without TLS, so the gate, the relay
 * and the kTLS install can be tested (and raced) apart from OpenSSL:
 *
 *   fakehsd keys     answer every request with done and fixed keys at once
 *   fakehsd relay    client writes one handshake record, the server reads
 *                    it and answers with one; each side then reads exactly
 *                    the peer's record, checks it, and answers done
 *   fakehsd fail N   answer every client request with done, status N
 *                    (servers get no answer: the client's reset ends them)
 *   fakehsd hang     attach and never answer (the kernel's timeout)
 *   fakehsd die      exit on the first request (daemon killed mid-way)
 *
 * -c 51|52|54 picks the cipher; -d MS delays each done; -n N exits after N
 * dones.  Both ends of a connection in one VM ask the same daemon: client
 * TX = server RX = key A, server TX = client RX = key B.
 * Prints "attached" once attached; counts on exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/kmtls.h>
#include <linux/tls.h>

#include "nl_util.h"

static struct nl_sock s;
static __u16 fam;
static int cipher = TLS_CIPHER_AES_GCM_128;
static int delay_ms;
static long dones, max_dones = -1, errors;

static void send_msg(struct nl_msg *m)
{
	int ret = nl_send(&s, m->buf, m->len);

	if (ret) {
		fprintf(stderr, "fakehsd: send: %s\n", strerror(-ret));
		errors++;
	}
}

static void start(struct nl_msg *m, __u8 cmd, __u64 id)
{
	nlm_init(m, fam, NLM_F_REQUEST, ++s.seq);
	nlm_put_genlhdr(m, cmd, KMTLS_FAMILY_VERSION);
	nlm_put_u64(m, KMTLS_A_FLOW_ID, id);
}

static void fill_key(__u8 *b, size_t n, __u8 v)
{
	memset(b, v, n);
}

static void done(__u64 id, int role, __u32 status)
{
	int klen = cipher == TLS_CIPHER_AES_GCM_128 ? 16 : 32;
	__u8 a[32], b[32], ia[12], ib[12];
	struct nl_msg m;

	if (delay_ms) {
		struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	fill_key(a, sizeof(a), 0x41);
	fill_key(b, sizeof(b), 0x42);
	fill_key(ia, sizeof(ia), 0x51);
	fill_key(ib, sizeof(ib), 0x52);
	start(&m, KMTLS_CMD_HANDSHAKE_DONE, id);
	nlm_put_u32(&m, KMTLS_A_FLOW_STATUS, status);
	if (!status) {
		bool cli = role == KMTLS_ROLE_CLIENT;

		nlm_put_strz(&m, KMTLS_A_FLOW_PEER_ID, cli ?
			     "spiffe://fake.test/server" :
			     "spiffe://fake.test/client");
		nlm_put_u16(&m, KMTLS_A_FLOW_CIPHER, cipher);
		nlm_put_attr(&m, KMTLS_A_FLOW_TX_KEY, cli ? a : b, klen);
		nlm_put_attr(&m, KMTLS_A_FLOW_TX_IV, cli ? ia : ib, 12);
		nlm_put_attr(&m, KMTLS_A_FLOW_RX_KEY, cli ? b : a, klen);
		nlm_put_attr(&m, KMTLS_A_FLOW_RX_IV, cli ? ib : ia, 12);
	}
	send_msg(&m);
	if (++dones == max_dones)
		exit(0);
}

static const char hello_c[] = "kmtls-fake-hello-from-client";
static const char hello_s[] = "kmtls-fake-hello-from-server";

static void send_record(__u64 id, const char *text)
{
	__u8 rec[64];
	size_t n = strlen(text);
	struct nl_msg m;

	rec[0] = 22;	/* handshake */
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = (__u8)n;
	memcpy(rec + 5, text, n);
	start(&m, KMTLS_CMD_HANDSHAKE_SEND, id);
	nlm_put_attr(&m, KMTLS_A_FLOW_DATA, rec, 5 + n);
	send_msg(&m);
}

static void ask_recv(__u64 id)
{
	struct nl_msg m;

	start(&m, KMTLS_CMD_HANDSHAKE_RECV, id);
	send_msg(&m);
}

/* Flow id -> role, for relay mode (a small open-addressing table). */
#define NROLES 65536
static struct { __u64 id; int role; } roles[NROLES];

static void role_set(__u64 id, int role)
{
	unsigned int i = id % NROLES;

	roles[i].id = id;
	roles[i].role = role;
}

static int role_get(__u64 id)
{
	unsigned int i = id % NROLES;

	return roles[i].id == id ? roles[i].role : 0;
}

static const char *mode;
static __u32 fail_status;

static void on_request(const struct nlattr *tb[])
{
	__u64 id = nla_get_u64_(tb[KMTLS_A_FLOW_ID]);
	int role = nla_get_u8_(tb[KMTLS_A_FLOW_ROLE]);

	if (!strcmp(mode, "die"))
		exit(0);
	if (!strcmp(mode, "hang"))
		return;
	if (!strcmp(mode, "fail")) {
		if (role == KMTLS_ROLE_CLIENT)
			done(id, role, fail_status);
		return;
	}
	if (!strcmp(mode, "keys")) {
		done(id, role, 0);
		return;
	}
	role_set(id, role);
	if (role == KMTLS_ROLE_CLIENT)
		send_record(id, hello_c);
	ask_recv(id);
}

static void on_data(const struct nlattr *tb[])
{
	__u64 id = nla_get_u64_(tb[KMTLS_A_FLOW_ID]);
	int role = role_get(id);
	const char *want = role == KMTLS_ROLE_CLIENT ? hello_s : hello_c;
	const struct nlattr *d = tb[KMTLS_A_FLOW_DATA];

	if (tb[KMTLS_A_FLOW_STATUS] || !d) {
		/* the kernel ended the flow */
		return;
	}
	if (!role || nla_plen(d) != 5 + (int)strlen(want) ||
	    memcmp((const char *)nla_pdata(d) + 5, want, strlen(want))) {
		fprintf(stderr, "fakehsd: flow %llu: unexpected record (%d bytes)\n",
			(unsigned long long)id, nla_plen(d));
		done(id, role ? role : KMTLS_ROLE_CLIENT, ECONNREFUSED);
		return;
	}
	if (role == KMTLS_ROLE_SERVER)
		send_record(id, hello_s);
	done(id, role, 0);
}

static void on_message(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const struct nlattr *tb[KMTLS_A_FLOW_MAX + 1] = {};
	const struct nlattr *a;
	int rem;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nl_reply r;

		if (!nl_parse_error(nlh, &r) && r.error) {
			fprintf(stderr, "fakehsd: kernel: %s %s\n",
				errno_name(r.error), r.msg);
			errors++;
		}
		return;
	}
	if (nlh->nlmsg_type != fam)
		return;
	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem)
		if (nla_type_(a) <= KMTLS_A_FLOW_MAX)
			tb[nla_type_(a)] = a;
	if (!tb[KMTLS_A_FLOW_ID])
		return;
	if (g->cmd == KMTLS_CMD_HANDSHAKE_REQUEST && tb[KMTLS_A_FLOW_ROLE])
		on_request(tb);
	else if (g->cmd == KMTLS_CMD_HANDSHAKE_DATA)
		on_data(tb);
}

static void on_term(int sig)
{
	(void)sig;
	fprintf(stderr, "fakehsd: dones=%ld errors=%ld\n", dones, errors);
	_exit(errors ? 1 : 0);
}

int main(int argc, char **argv)
{
	static unsigned char buf[NL_RCVBUF];
	struct genl_family_info fi;
	struct nl_reply r;
	struct nl_msg m;
	int opt, rcvbuf = 8 << 20;

	while ((opt = getopt(argc, argv, "c:d:n:")) != -1) {
		switch (opt) {
		case 'c': cipher = atoi(optarg); break;
		case 'd': delay_ms = atoi(optarg); break;
		case 'n': max_dones = atol(optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc)
		return 2;
	mode = argv[optind];
	if (!strcmp(mode, "fail")) {
		if (optind + 1 >= argc)
			return 2;
		fail_status = atoi(argv[optind + 1]);
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);

	if (nl_open(&s, 0) || genl_resolve(&s, KMTLS_FAMILY_NAME, &fi)) {
		fprintf(stderr, "fakehsd: kmtls family not found\n");
		return 1;
	}
	fam = fi.id;
	setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	genl_req(&s, &m, fam, KMTLS_CMD_DAEMON_ATTACH, KMTLS_FAMILY_VERSION);
	if (nl_transact(&s, &m, &r) || r.error) {
		fprintf(stderr, "fakehsd: attach: %s %s\n",
			errno_name(r.error), r.msg);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);

	for (;;) {
		int n = nl_recv(&s, buf, sizeof(buf));
		const struct nlmsghdr *nlh;
		int len = n;

		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "fakehsd: recv: %s\n", strerror(-n));
			errors++;
			continue;
		}
		for (nlh = (const void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			on_message(nlh);
	}
}
