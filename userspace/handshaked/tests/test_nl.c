// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel events as they arrive on the socket: nl_dispatch() on crafted and
 * damaged netlink buffers, with a fake transport recording the answers.
 * Malformed events must be dropped (logged) without touching any flow.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "../../kmtls/tests/tap.h"
#include "hs.h"
#include "nl.h"
#include "testlib.h"

#define FAMILY		0x1234
#define SERVER_ID	"spiffe://a.test/server"
#define CLIENT_ID	"spiffe://a.test/client"

enum { M_SEND = 1, M_RECV, M_DONE };

struct msg {
	int kind;
	uint64_t flow;
	uint32_t status;
};

static struct msg logbuf[256];
static int nlog;

static void put(int kind, uint64_t flow, uint32_t status)
{
	if (nlog < 256)
		logbuf[nlog++] = (struct msg){ kind, flow, status };
}

static int tx_send(void *ctx, uint64_t flow, const uint8_t *d, size_t len)
{
	(void)ctx; (void)d; (void)len;
	put(M_SEND, flow, 0);
	return 0;
}

static int tx_recv(void *ctx, uint64_t flow)
{
	(void)ctx;
	put(M_RECV, flow, 0);
	return 0;
}

static int tx_done(void *ctx, uint64_t flow, uint32_t status, const char *peer,
		   const struct tls_keys *keys)
{
	(void)ctx; (void)peer; (void)keys;
	put(M_DONE, flow, status);
	return 0;
}

static uint8_t buf[65536] __attribute__((aligned(8)));

static struct nlmsghdr *event(void *at, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *g;

	nlh->nlmsg_type = FAMILY;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KMTLS_FAMILY_VERSION;
	return nlh;
}

enum { NO_ID = 1, NO_LOCAL_ID = 2, BAD_FAMILY = 4, BAD_ROLE = 8,
       ID_NO_NUL = 16 };

static struct nlmsghdr *request(void *at, uint64_t id, uint8_t role,
				uint8_t family, const char *local_id, int flaws)
{
	static const uint8_t a4[4] = { 192, 0, 2, 1 }, b4[4] = { 192, 0, 2, 2 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct nlmsghdr *nlh = event(at, KMTLS_CMD_HANDSHAKE_REQUEST);
	size_t alen = family == AF_INET6 ? 16 : 4;

	if (flaws & BAD_FAMILY)
		alen = 20 - alen;
	if (!(flaws & NO_ID))
		mnl_attr_put_u64(nlh, KMTLS_A_FLOW_ID, id);
	mnl_attr_put_u8(nlh, KMTLS_A_FLOW_ROLE, flaws & BAD_ROLE ? 3 : role);
	mnl_attr_put_u8(nlh, KMTLS_A_FLOW_FAMILY, family);
	mnl_attr_put(nlh, KMTLS_A_FLOW_LOCAL_ADDR, alen, alen == 16 ? a6 : a4);
	mnl_attr_put(nlh, KMTLS_A_FLOW_PEER_ADDR, alen, alen == 16 ? a6 : b4);
	mnl_attr_put_u16(nlh, KMTLS_A_FLOW_LOCAL_PORT, 443);
	mnl_attr_put_u16(nlh, KMTLS_A_FLOW_PEER_PORT, 50000);
	if (flaws & ID_NO_NUL)
		mnl_attr_put(nlh, KMTLS_A_FLOW_LOCAL_ID, strlen(local_id),
			     local_id);
	else if (!(flaws & NO_LOCAL_ID))
		mnl_attr_put_strz(nlh, KMTLS_A_FLOW_LOCAL_ID, local_id);
	mnl_attr_put_u32(nlh, KMTLS_A_FLOW_NETNS, 4026531840u);
	return nlh;
}

static struct nlmsghdr *data(void *at, uint64_t id, const void *rec,
			     size_t len, bool with_status, uint32_t status)
{
	struct nlmsghdr *nlh = event(at, KMTLS_CMD_HANDSHAKE_DATA);

	mnl_attr_put_u64(nlh, KMTLS_A_FLOW_ID, id);
	if (rec)
		mnl_attr_put(nlh, KMTLS_A_FLOW_DATA, len, rec);
	if (with_status)
		mnl_attr_put_u32(nlh, KMTLS_A_FLOW_STATUS, status);
	return nlh;
}

static void dispatch(struct nl *nl, struct hs *h, struct nlmsghdr *nlh)
{
	nl_dispatch(nl, h, nlh, nlh->nlmsg_len, 0);
}

int main(void)
{
	static const uint8_t junk[] = { 0x16, 0x03, 0x01, 0x00, 0x06,
					0x01, 0x00, 0x00, 0x02, 0xff, 0xff };
	const char *dir = t_tmpdir();
	const char *store = t_path(dir, "svid");
	const char *ca = t_path(dir, "ca");
	struct hs_transport tx = { tx_send, tx_recv, tx_done, NULL };
	struct nlmsghdr *nlh, *nlh2;
	struct svid_store *st;
	struct nl *nl;
	struct hs h;
	int n, i, j, saved, devnull;

	if (t_ca_init("a.test", ca) ||
	    t_ca_issue(SERVER_ID, ca, t_path(store, "a.test/server"), NULL) ||
	    t_ca_issue(CLIENT_ID, ca, t_path(store, "a.test/client"), NULL)) {
		ok(false, "test certificates");
		return tap_done();
	}
	st = svid_store_new(store, NULL);
	hs_init(&h, st, &tx, 64, 60000, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	nl = nl_new_detached(FAMILY);

	dispatch(nl, &h, request(buf, 7, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, 0));
	ok(nlog == 1 && logbuf[0].kind == M_RECV && logbuf[0].flow == 7 &&
	   flow_find(&h.flows, 7), "request (server, IPv4): flow 7 asks for a record");
	dispatch(nl, &h, data(buf, 7, junk, sizeof(junk), false, 0));
	ok(nlog == 2 && logbuf[1].kind == M_DONE &&
	   logbuf[1].status == ECONNREFUSED && !flow_find(&h.flows, 7),
	   "data: the record reaches the engine (no alert, DONE ECONNREFUSED)");

	dispatch(nl, &h, request(buf, 8, KMTLS_ROLE_CLIENT, AF_INET6, CLIENT_ID, 0));
	ok(nlog == 4 && logbuf[2].kind == M_SEND && logbuf[3].kind == M_RECV &&
	   logbuf[3].flow == 8, "request (client, IPv6): ClientHello and RECV");

	n = nlog;
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, NO_ID));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, NO_LOCAL_ID));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, BAD_FAMILY));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET6, SERVER_ID, BAD_FAMILY));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, 99, SERVER_ID, 0));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, BAD_ROLE));
	dispatch(nl, &h, request(buf, 9, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, ID_NO_NUL));
	ok(nlog == n && !flow_find(&h.flows, 9) && h.stats.requests == 2,
	   "malformed requests (no id, no local id, address sizes, family, role, unterminated string) are dropped");

	dispatch(nl, &h, data(buf, 8, junk, sizeof(junk), true, EPIPE));
	dispatch(nl, &h, data(buf, 8, NULL, 0, false, 0));
	dispatch(nl, &h, data(buf, 8, NULL, 0, true, 0));
	dispatch(nl, &h, data(buf, 8, NULL, 0, true, 70000));
	ok(nlog == n && flow_find(&h.flows, 8),
	   "malformed data (both, neither, status 0, status not an errno) is dropped");

	nlh = event(buf, KMTLS_CMD_HANDSHAKE_DONE);
	mnl_attr_put_u64(nlh, KMTLS_A_FLOW_ID, 8);
	dispatch(nl, &h, nlh);
	nlh = request(buf, 8, KMTLS_ROLE_CLIENT, AF_INET, CLIENT_ID, 0);
	nlh->nlmsg_type = FAMILY + 1;
	dispatch(nl, &h, nlh);
	nlh = request(buf, 10, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, 0);
	nl_dispatch(nl, &h, nlh, nlh->nlmsg_len - 1, 0);
	nlh = event(buf, KMTLS_CMD_HANDSHAKE_REQUEST);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	dispatch(nl, &h, nlh);
	ok(nlog == n && flow_find(&h.flows, 8) && !flow_find(&h.flows, 10),
	   "other commands, other families, truncated messages are dropped");

	/* An error answer nobody is waiting for. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = 12345;
	{
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		e->error = -EINVAL;
	}
	dispatch(nl, &h, nlh);
	ok(nlog == n && flow_find(&h.flows, 8), "an error for an unknown sequence number is only logged");

	/* Two events in one datagram. */
	nlh = request(buf, 11, KMTLS_ROLE_SERVER, AF_INET, SERVER_ID, 0);
	nlh2 = data(buf + NLMSG_ALIGN(nlh->nlmsg_len), 8, NULL, 0, true, ECONNRESET);
	nl_dispatch(nl, &h, buf, NLMSG_ALIGN(nlh->nlmsg_len) + nlh2->nlmsg_len, 0);
	ok(nlog == n + 1 && logbuf[n].kind == M_RECV && logbuf[n].flow == 11 &&
	   flow_find(&h.flows, 11) && !flow_find(&h.flows, 8),
	   "two events in one datagram: both handled (request, status ends flow 8)");

	/* Damaged copies of a valid request never crash (ASan run); their
	 * thousands of log lines go to /dev/null. */
	fflush(stderr);
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	srand(1);
	for (i = 0; i < 3000; i++) {
		uint8_t copy[1024] __attribute__((aligned(8)));
		size_t len;

		nlh = i % 2 ? request(buf, 100 + i, KMTLS_ROLE_CLIENT, AF_INET6,
				      CLIENT_ID, 0)
			    : data(buf, 11, junk, sizeof(junk), false, 0);
		len = nlh->nlmsg_len;
		memcpy(copy, buf, len);
		for (j = 0; j < 1 + rand() % 4; j++)
			copy[rand() % len] ^= (uint8_t)(1 + rand() % 255);
		nl_dispatch(nl, &h, copy, (size_t)(rand() % 8 ? len : rand() % len), 0);
	}
	dup2(saved, 2);
	close(saved);
	close(devnull);
	ok(true, "3000 damaged events dispatched without a crash");

	nl_close(nl);
	hs_fini(&h);
	svid_store_free(st);
	return tap_done();
}
