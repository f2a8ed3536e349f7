// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake protocol core (hs.c) against a fake kernel: two daemons'
 * cores, a client flow and a server flow, the fake kernel relaying SENDs
 * as records and answering RECVs one record at a time.  Checks what the
 * kernel would see: message order, SEND sizes, DONE status and keys, and
 * what happens on failures, the flow cap, errors and timeouts.
 */
#include <errno.h>
#include <linux/kmtls.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../../kmtls/tests/tap.h"
#include "hs.h"
#include "testlib.h"

#define CLIENT_ID	"spiffe://a.test/client"
#define SERVER_ID	"spiffe://a.test/server"

enum { M_SEND = 1, M_RECV, M_DONE };

struct msg {
	int kind;
	uint64_t flow;
	uint32_t status;
	size_t len;
	bool whole_records;
};

/* One daemon and what it said to the kernel. */
struct side {
	struct hs hs;
	struct msg log[128];
	int nlog;
	struct t_wire out;		/* SEND bytes, to the other side */
	int recv_pending;
	int fail_recv;			/* make the transport's RECV fail */
	bool done;
	uint32_t done_status;
	char peer_id[256];
	struct tls_keys keys;
};

static bool whole_records(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off + 5 <= len)
		off += 5 + ((size_t)p[off + 3] << 8 | p[off + 4]);
	return off == len;
}

static void record(struct side *s, int kind, uint64_t flow, uint32_t status,
		   size_t len, bool whole)
{
	if (s->nlog < (int)(sizeof(s->log) / sizeof(s->log[0])))
		s->log[s->nlog++] = (struct msg){ kind, flow, status, len, whole };
}

static int tx_send(void *ctx, uint64_t flow, const uint8_t *data, size_t len)
{
	struct side *s = ctx;

	record(s, M_SEND, flow, 0, len, whole_records(data, len));
	t_wire_put(&s->out, data, len);
	return 0;
}

static int tx_recv(void *ctx, uint64_t flow)
{
	struct side *s = ctx;

	if (s->fail_recv)
		return -ENOBUFS;
	record(s, M_RECV, flow, 0, 0, true);
	s->recv_pending++;
	return 0;
}

static int tx_done(void *ctx, uint64_t flow, uint32_t status,
		   const char *peer_id, const struct tls_keys *keys)
{
	struct side *s = ctx;

	record(s, M_DONE, flow, status, 0, true);
	s->done = true;
	s->done_status = status;
	snprintf(s->peer_id, sizeof(s->peer_id), "%s", peer_id ? peer_id : "");
	if (keys)
		s->keys = *keys;
	return 0;
}

static void side_init(struct side *s, struct svid_store *st, size_t max,
		      size_t send_max)
{
	struct hs_transport tx = { tx_send, tx_recv, tx_done, s };

	memset(s, 0, sizeof(*s));
	hs_init(&s->hs, st, &tx, max, 60000, send_max);
}

static void side_fini(struct side *s)
{
	hs_fini(&s->hs);
	t_wire_free(&s->out);
}

static struct hs_request req(uint64_t id, uint8_t role, const char *local_id)
{
	struct hs_request r = {
		.id = id, .role = role, .family = AF_INET,
		.local_addr = { 10, 0, 0, 1 }, .peer_addr = { 10, 0, 0, 2 },
		.local_port = 40000, .peer_port = 443, .netns = 4026531840u,
		.local_id = local_id,
	};
	return r;
}

/*
 * The fake kernel: relay records while a side waits for one; when a side
 * ends with an error, the connection is reset under the other.
 */
static void relay(struct side *c, uint64_t cid, struct side *s, uint64_t sid)
{
	bool moved = true;
	size_t n;

	while (moved) {
		moved = false;
		if (s->recv_pending && (n = t_wire_record(&c->out))) {
			s->recv_pending--;
			hs_data(&s->hs, sid, c->out.buf, n, 0);
			t_wire_pop(&c->out, n);
			moved = true;
		}
		if (c->recv_pending && (n = t_wire_record(&s->out))) {
			c->recv_pending--;
			hs_data(&c->hs, cid, s->out.buf, n, 0);
			t_wire_pop(&s->out, n);
			moved = true;
		}
		if (!moved && s->done && s->done_status && c->recv_pending) {
			c->recv_pending--;
			hs_status(&c->hs, cid, ECONNRESET);
			moved = true;
		}
		if (!moved && c->done && c->done_status && s->recv_pending) {
			s->recv_pending--;
			hs_status(&s->hs, sid, ECONNRESET);
			moved = true;
		}
	}
}

/* Every SEND before the one DONE, nothing after it. */
static bool ordered(const struct side *s, int *sends, bool *all_whole,
		    size_t *max_len)
{
	int i, dones = 0;

	*sends = 0;
	*all_whole = true;
	*max_len = 0;
	for (i = 0; i < s->nlog; i++) {
		if (dones)
			return false;
		if (s->log[i].kind == M_DONE)
			dones++;
		if (s->log[i].kind == M_SEND) {
			(*sends)++;
			*all_whole &= s->log[i].whole_records;
			if (s->log[i].len > *max_len)
				*max_len = s->log[i].len;
		}
	}
	return dones == 1 && s->log[s->nlog - 1].kind == M_DONE;
}

static void test_success(struct svid_store *st)
{
	struct side c, s;
	bool cw, sw;
	size_t cmax, smax;
	int csends, ssends;

	side_init(&c, st, 16, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	/* Small, but above the largest record: the server's flight is split. */
	side_init(&s, st, 16, 800);

	{
		struct hs_request sr = req(2, KMTLS_ROLE_SERVER, SERVER_ID);
		struct hs_request cr = req(1, KMTLS_ROLE_CLIENT, CLIENT_ID);

		hs_request(&s.hs, &sr, 0);
		ok(s.nlog == 1 && s.log[0].kind == M_RECV,
		   "server: first message is a RECV");
		hs_request(&c.hs, &cr, 0);
		ok(c.nlog == 2 && c.log[0].kind == M_SEND && c.log[1].kind == M_RECV,
		   "client: ClientHello SEND, then RECV");
	}
	relay(&c, 1, &s, 2);
	ok(c.done && c.done_status == 0, "client DONE status 0");
	ok(s.done && s.done_status == 0, "server DONE status 0");
	is_str(c.peer_id, SERVER_ID, "client DONE carries the server's ID");
	is_str(s.peer_id, CLIENT_ID, "server DONE carries the client's ID");
	ok(c.keys.key_len && memcmp(c.keys.tx_key, s.keys.rx_key, c.keys.key_len) == 0 &&
	   memcmp(c.keys.rx_iv, s.keys.tx_iv, TLS_IV_LEN) == 0 &&
	   c.keys.cipher == s.keys.cipher, "DONE keys match across the two sides");
	ok(ordered(&c, &csends, &cw, &cmax), "client: all SENDs before one DONE, nothing after");
	ok(ordered(&s, &ssends, &sw, &smax), "server: all SENDs before one DONE, nothing after");
	ok(c.log[c.nlog - 2].kind == M_SEND,
	   "client: its last flight is sent right before DONE");
	ok(smax <= 800 && ssends >= 2 && sw,
	   "server: flight split into %d SENDs of whole records, at most 800 bytes", ssends);
	ok(cw, "client: SENDs are whole records");
	ok(c.out.len == 0 && s.out.len == 0, "every byte sent was consumed by the peer");
	ok(c.hs.flows.count == 0 && s.hs.flows.count == 0, "no flow left");
	is_int((long long)c.hs.stats.established + (long long)s.hs.stats.established,
	       2, "two established");
	side_fini(&c);
	side_fini(&s);
}

static void test_no_svid(struct svid_store *st)
{
	struct side c, s;
	struct hs_request sr = req(2, KMTLS_ROLE_SERVER, "spiffe://a.test/nobody");
	struct hs_request cr = req(1, KMTLS_ROLE_CLIENT, CLIENT_ID);

	side_init(&c, st, 16, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	side_init(&s, st, 16, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	hs_request(&s.hs, &sr, 0);
	ok(s.nlog == 1 && s.log[0].kind == M_DONE &&
	   s.log[0].status == ECONNREFUSED,
	   "server without an SVID: DONE ECONNREFUSED at once");
	hs_request(&c.hs, &cr, 0);
	relay(&c, 1, &s, 2);
	ok(!c.done && c.hs.stats.ended_by_kernel == 1,
	   "client: the kernel's ECONNRESET ends the flow, no DONE");
	ok(c.hs.flows.count == 0 && s.hs.flows.count == 0, "no flow left");
	side_fini(&c);
	side_fini(&s);
}

static void test_status(struct svid_store *st, uint32_t status,
			const char *name)
{
	struct side c;
	struct hs_request cr = req(1, KMTLS_ROLE_CLIENT, CLIENT_ID);

	side_init(&c, st, 16, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	hs_request(&c.hs, &cr, 0);
	hs_status(&c.hs, 1, status);
	ok(!c.done && c.nlog == 2 && c.hs.flows.count == 0 &&
	   c.hs.stats.ended_by_kernel == 1,
	   "status %s: the kernel ended the flow; freed, no DONE", name);
	hs_status(&c.hs, 1, status);
	ok(c.nlog == 2 && c.hs.stats.ended_by_kernel == 1,
	   "a second status for the freed flow changes nothing");
	side_fini(&c);
}

static void test_garbage(struct svid_store *st)
{
	/* A ClientHello record whose message length disagrees with it. */
	static const uint8_t junk[] = { 0x16, 0x03, 0x01, 0x00, 0x06,
					0x01, 0x00, 0x00, 0x02, 0xff, 0xff };
	struct side s;
	struct hs_request sr = req(2, KMTLS_ROLE_SERVER, SERVER_ID);

	side_init(&s, st, 16, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	hs_request(&s.hs, &sr, 0);
	hs_data(&s.hs, 2, junk, sizeof(junk), 0);
	/* No alert: the kernel's reset says it (see fail() in hs.c). */
	ok(s.nlog == 2 && s.log[1].kind == M_DONE &&
	   s.log[1].status == ECONNREFUSED,
	   "garbage ClientHello: no alert sent, DONE ECONNREFUSED");
	hs_data(&s.hs, 2, junk, sizeof(junk), 0);
	ok(s.nlog == 2, "a record for a finished flow is dropped");
	side_fini(&s);
}

static void test_table(struct svid_store *st)
{
	struct side s;
	struct hs_request r;
	int n;

	side_init(&s, st, 2, KMTLS_HANDSHAKE_DATA_MAX_LEN);
	r = req(10, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 0);
	r = req(11, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 0);
	n = s.nlog;
	r = req(12, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 0);
	ok(s.nlog == n + 1 && s.log[n].kind == M_DONE && s.log[n].flow == 12 &&
	   s.log[n].status == ECONNREFUSED && s.hs.flows.count == 2,
	   "over the cap: DONE ECONNREFUSED, the others untouched");
	r = req(10, KMTLS_ROLE_SERVER, SERVER_ID);
	n = s.nlog;
	hs_request(&s.hs, &r, 0);
	ok(s.nlog == n && s.hs.flows.count == 2,
	   "a second request for a flow in progress is ignored");

	hs_data(&s.hs, 99, (const uint8_t *)"x", 1, 0);
	hs_status(&s.hs, 99, EPIPE);
	ok(s.nlog == n, "data and status for unknown flows are dropped");

	hs_msg_error(&s.hs, 10, KMTLS_CMD_HANDSHAKE_RECV, -EINVAL, "bad");
	ok(s.nlog == n + 1 && s.log[n].kind == M_DONE && s.log[n].flow == 10 &&
	   s.log[n].status == ECONNREFUSED && !flow_find(&s.hs.flows, 10),
	   "kernel refused a RECV: flow dropped, DONE ECONNREFUSED");
	hs_msg_error(&s.hs, 11, KMTLS_CMD_HANDSHAKE_SEND, -ENOENT, "");
	ok(s.nlog == n + 1 && !flow_find(&s.hs.flows, 11),
	   "kernel no longer knows the flow: dropped without DONE");
	hs_msg_error(&s.hs, 11, KMTLS_CMD_HANDSHAKE_DONE, -ENOENT, "");
	ok(s.nlog == n + 1, "an error for a finished flow changes nothing");

	/* The daemon's own timeout. */
	n = s.nlog;
	r = req(20, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 1000);
	r = req(21, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 2000);
	hs_expire(&s.hs, 1000 + 60000 - 1);
	ok(s.hs.flows.count == 2, "nothing expires early");
	hs_expire(&s.hs, 1000 + 60000);
	ok(s.hs.flows.count == 1 && flow_find(&s.hs.flows, 21),
	   "the oldest flow expires at its deadline");
	hs_expire(&s.hs, 2000 + 60000);
	ok(s.hs.flows.count == 0 && s.hs.stats.expired == 2,
	   "and the next one at its own");
	ok(s.nlog == n + 2, "expiry sends nothing (only the two RECVs)");

	/* The transport cannot send: the flow is dropped. */
	s.fail_recv = 1;
	r = req(30, KMTLS_ROLE_SERVER, SERVER_ID);
	hs_request(&s.hs, &r, 0);
	ok(s.hs.flows.count == 0, "a RECV that cannot be sent drops the flow");
	side_fini(&s);
}

int main(void)
{
	const char *dir = t_tmpdir();
	const char *store = t_path(dir, "svid");
	const char *ca = t_path(dir, "ca");
	struct svid_store *st;

	if (t_ca_init("a.test", ca) ||
	    t_ca_issue(CLIENT_ID, ca, t_path(store, "a.test/client"), NULL) ||
	    t_ca_issue(SERVER_ID, ca, t_path(store, "a.test/server"), NULL)) {
		ok(false, "test certificates");
		return tap_done();
	}
	st = svid_store_new(store, NULL);
	test_success(st);
	test_no_svid(st);
	test_status(st, ECONNRESET, "ECONNRESET");
	test_status(st, EPIPE, "EPIPE");
	test_status(st, ETIMEDOUT, "ETIMEDOUT");
	test_status(st, ECONNREFUSED, "ECONNREFUSED");
	test_status(st, EIO, "EIO");
	test_garbage(st);
	test_table(st);
	svid_store_free(st);
	return tap_done();
}
