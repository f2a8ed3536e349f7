// SPDX-License-Identifier: GPL-2.0
/*
 * Flows: one per meshed connection, from the moment kmtls takes hold of the
 * socket until the socket is gone.
 *
 *   client:  LOCAL_OUT sees the SYN      -> CONNECTING (held)
 *            sk_state_change: established -> HANDSHAKE (request to daemon)
 *   server:  accept() grafts the child    -> HANDSHAKE (held, request sent)
 *   both:    handshake-done, keys in kTLS -> ESTABLISHED (hold released)
 *            any failure or the timeout   -> FAILED (reset, calls fail)
 *
 * A server flow of a permissive destination first peeks at the client's
 * first bytes: a TLS handshake record goes on as above; anything else is
 * judged as a client without identity and, if allowed, released into
 * plain TCP (ESTABLISHED, plaintext) before the ULP is ever attached.
 * After a policy change established flows are judged again and those
 * now denied reset (kmtls_flow_rejudge()).
 *
 * While the handshake runs the module relays its records: handshake-send
 * writes the daemon's bytes with TCP's own sendmsg, handshake-recv reads
 * exactly one whole TLS record (never a byte past it) with TCP's own
 * recvmsg and sends it to the daemon.  The application's calls never reach
 * TCP: its socket wears the hold ops (gate.c).
 *
 * Lifetime: a flow is referenced by the tables (one reference, dropped when
 * the collector unlinks it after the application closed the socket), by
 * each queued work item, and by each lookup.  A flow holds a reference on
 * its sock for its whole life and on the application's file while it is
 * held (so close() cannot orphan the socket under the install).  Freed
 * after an RCU grace period: callbacks and the gate look flows up under
 * RCU.
 *
 * Locking: kmtls_flows_lock (BH) guards the tables and the list; f->lock
 * serialises everything that changes a flow's phase or touches its
 * connection (relay I/O, install, abort).  The phase is read without it.
 * Our socket callbacks are put on and taken off under the socket lock and
 * sk_callback_lock, so no callback runs while they change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/kmtls.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kmtls.h"

#define KMTLS_FLOW_GC_MS	1000
#define KMTLS_FLOWS_MAX		65536
#define KMTLS_TLS_HDR_LEN	5

struct kmtls_flow {
	struct hlist_node id_link;
	struct hlist_node sock_link;
	struct list_head all;		/* creation order, for dumps */
	struct list_head gc_node;	/* the collector's, once unlinked */
	struct rcu_head rcu;
	refcount_t ref;
	struct mutex lock;
	u64 id;
	struct sock *sk;		/* referenced for the flow's life */
	struct socket *sock;		/* the application's, while held */
	struct file *file;		/* referenced while held */
	int phase;			/* enum kmtls_flow_phase */
	int err;			/* positive errno once FAILED */
	u8 role;
	u8 family;
	bool linked;
	bool want_read;
	bool requested;
	bool would_deny;		/* audit let it through */
	bool permissive;		/* server: plaintext clients admitted */
	bool plaintext;			/* admitted in clear */
	bool revoked;			/* reset by a policy change */
	u32 gen;			/* daemon generation of the request */
	u16 cipher;
	__be16 lport, rport;
	u8 laddr[16], raddr[16];
	u32 netns;
	u64 born;			/* ktime_get_ns() */
	char *local_id;
	char *peer_id;
	char *want_peer;		/* client: the destination's declared ID */
	struct list_head judge_node;	/* kmtls_flow_rejudge()'s */
	void (*saved_state_change)(struct sock *sk);
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct work;
	struct delayed_work timeout;
};

static DEFINE_SPINLOCK(kmtls_flows_lock);
static DEFINE_HASHTABLE(kmtls_flows_by_id, 10);
static DEFINE_HASHTABLE(kmtls_flows_by_sk, 10);
static LIST_HEAD(kmtls_flows_all);
static atomic64_t kmtls_flow_next_id = ATOMIC64_INIT(0);
static struct workqueue_struct *kmtls_wq;
static struct delayed_work kmtls_flow_gc_work;

static void kmtls_flow_free_rcu(struct rcu_head *head)
{
	struct kmtls_flow *f = container_of(head, struct kmtls_flow, rcu);

	kfree(f->local_id);
	kfree(f->peer_id);
	kfree(f->want_peer);
	kfree(f);
}

void kmtls_flow_put(struct kmtls_flow *f)
{
	if (!refcount_dec_and_test(&f->ref))
		return;
	WARN_ON_ONCE(f->file);
	sock_put(f->sk);
	call_rcu(&f->rcu, kmtls_flow_free_rcu);
}

static struct kmtls_flow *kmtls_flow_find_sk(const struct sock *sk)
{
	struct kmtls_flow *f;

	hash_for_each_possible_rcu(kmtls_flows_by_sk, f, sock_link,
				   (unsigned long)sk)
		if (f->sk == sk)
			return f;
	return NULL;
}

struct kmtls_flow *kmtls_flow_get_by_id(u64 id)
{
	struct kmtls_flow *f, *found = NULL;

	rcu_read_lock();
	hash_for_each_possible_rcu(kmtls_flows_by_id, f, id_link, id)
		if (f->id == id && refcount_inc_not_zero(&f->ref)) {
			found = f;
			break;
		}
	rcu_read_unlock();
	return found;
}

/* For the gate: the phase of the socket's flow (-1 if none) and, when
 * FAILED, its errno.  Any context.
 */
int kmtls_flow_gate_state(const struct sock *sk, int *err)
{
	struct kmtls_flow *f;
	int phase = -1;

	*err = ECONNABORTED;
	rcu_read_lock();
	f = kmtls_flow_find_sk(sk);
	if (f) {
		phase = READ_ONCE(f->phase);
		if (phase == KMTLS_PHASE_FAILED)
			*err = READ_ONCE(f->err);
	}
	rcu_read_unlock();
	return phase < 0 ? KMTLS_PHASE_FAILED : phase;
}

/* Queue the flow's work; the queued work holds a reference. */
static void kmtls_flow_kick(struct kmtls_flow *f)
{
	if (!refcount_inc_not_zero(&f->ref))
		return;
	if (!queue_work(kmtls_wq, &f->work))
		kmtls_flow_put(f);
}

/* Socket callbacks: the original first (the application's wakeups), then
 * the flow's work.  Softirq or the socket owner, never both.
 */
static void kmtls_flow_state_change(struct sock *sk)
{
	struct kmtls_flow *f;

	rcu_read_lock();
	f = kmtls_flow_find_sk(sk);
	if (f) {
		f->saved_state_change(sk);
		kmtls_flow_kick(f);
	}
	rcu_read_unlock();
}

static void kmtls_flow_data_ready(struct sock *sk)
{
	struct kmtls_flow *f;

	rcu_read_lock();
	f = kmtls_flow_find_sk(sk);
	if (f) {
		f->saved_data_ready(sk);
		if (READ_ONCE(f->want_read))
			kmtls_flow_kick(f);
	}
	rcu_read_unlock();
}

/* Caller owns the socket and holds sk_callback_lock for writing, or is in
 * a release_cb (owned, spinlock held).
 */
static void kmtls_flow_hook_callbacks(struct kmtls_flow *f)
{
	struct sock *sk = f->sk;

	f->saved_state_change = sk->sk_state_change;
	f->saved_data_ready = sk->sk_data_ready;
	sk->sk_state_change = kmtls_flow_state_change;
	sk->sk_data_ready = kmtls_flow_data_ready;
}

static void kmtls_flow_unhook_callbacks(struct kmtls_flow *f)
{
	struct sock *sk = f->sk;

	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_state_change == kmtls_flow_state_change)
		sk->sk_state_change = f->saved_state_change;
	if (sk->sk_data_ready == kmtls_flow_data_ready)
		sk->sk_data_ready = f->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}

static void kmtls_flow_wake(struct sock *sk)
{
	struct socket_wq *wq;

	/* Unconditionally: a waiter may have queued itself just now. */
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (wq)
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
}

static void kmtls_flow_addrs(struct kmtls_flow *f)
{
	const struct sock *sk = f->sk;
	const struct inet_sock *inet = inet_sk(sk);

	f->lport = inet->inet_sport;
	f->rport = inet->inet_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		f->family = AF_INET6;
		memcpy(f->laddr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(f->raddr, &sk->sk_v6_daddr, 16);
		return;
	}
#endif
	f->family = AF_INET;
	memcpy(f->laddr, &inet->inet_rcv_saddr, 4);
	memcpy(f->raddr, &inet->inet_daddr, 4);
}

static struct kmtls_flow *kmtls_flow_new(struct sock *sk, u8 role, gfp_t gfp)
{
	struct kmtls_flow *f;

	if (atomic_read(&kmtls_stats.flows) >= KMTLS_FLOWS_MAX)
		return NULL;
	f = kzalloc(sizeof(*f), gfp);
	if (!f)
		return NULL;
	f->local_id = kmtls_identity_dup(sk, gfp);
	if (!f->local_id) {
		kfree(f);
		return NULL;
	}
	refcount_set(&f->ref, 1);	/* the tables' */
	mutex_init(&f->lock);
	f->id = atomic64_inc_return(&kmtls_flow_next_id);
	sock_hold(sk);
	f->sk = sk;
	f->sock = sk->sk_socket;
	f->file = f->sock->file;
	get_file(f->file);
	f->role = role;
	f->born = ktime_get_ns();
	f->netns = sock_net(sk)->ns.inum;
	f->phase = KMTLS_PHASE_CONNECTING;
	return f;
}

static void kmtls_flow_timeout_fn(struct work_struct *work);
static void kmtls_flow_work_fn(struct work_struct *work);

/* Link, hold and arm: the flow becomes visible to the gate and callbacks. */
static void kmtls_flow_start(struct kmtls_flow *f)
{
	struct kmtls_config cfg;

	INIT_WORK(&f->work, kmtls_flow_work_fn);
	INIT_DELAYED_WORK(&f->timeout, kmtls_flow_timeout_fn);
	kmtls_flow_addrs(f);

	spin_lock_bh(&kmtls_flows_lock);
	hash_add_rcu(kmtls_flows_by_id, &f->id_link, f->id);
	hash_add_rcu(kmtls_flows_by_sk, &f->sock_link, (unsigned long)f->sk);
	list_add_tail_rcu(&f->all, &kmtls_flows_all);
	f->linked = true;
	spin_unlock_bh(&kmtls_flows_lock);
	atomic_inc(&kmtls_stats.flows);

	kmtls_gate_hold(f->sock);
	kmtls_config_get(&cfg);
	refcount_inc(&f->ref);
	queue_delayed_work(kmtls_wq, &f->timeout,
			   msecs_to_jiffies(cfg.handshake_timeout_ms));
}

/*
 * Client side, from the LOCAL_OUT hook: the connecting task, socket owned
 * by connect(), under RCU.  Returns 0 or a negative errno (refuse).
 */
int kmtls_flow_client(struct sock *sk, char *want_peer)
{
	struct socket *sock = sk->sk_socket;
	struct kmtls_flow *f;

	if (!sock || !sock->file || kmtls_gate_is_held(sock) ||
	    READ_ONCE(sock->ops) != kmtls_gate_pristine_ops(sk)) {
		kfree(want_peer);
		return -ECONNREFUSED;
	}
	f = kmtls_flow_new(sk, KMTLS_ROLE_CLIENT, GFP_ATOMIC);
	if (!f) {
		kfree(want_peer);
		return -ECONNREFUSED;
	}
	f->want_peer = want_peer;
	write_lock_bh(&sk->sk_callback_lock);
	kmtls_flow_hook_callbacks(f);
	write_unlock_bh(&sk->sk_callback_lock);
	kmtls_flow_start(f);
	return 0;
}

/*
 * Server side, from the wrapper proto's release_cb as accept() grafts the
 * child: owned, spinlock held, the descriptor not yet installed.  A child
 * that is not (or no longer) meshed is left alone; one that is meshed but
 * cannot be tracked is held and fails.
 */
void kmtls_flow_server(struct sock *sk)
{
	const void *laddr = &inet_sk(sk)->inet_rcv_saddr;
	int family = AF_INET;
	struct kmtls_flow *f;
	u8 mode;

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr)) {
		laddr = &sk->sk_v6_rcv_saddr;
		family = AF_INET6;
	}
#endif
	mode = kmtls_dest_lookup(family, laddr, ntohs(inet_sk(sk)->inet_sport),
				 NULL, 0);
	if (!mode || mode == KMTLS_DEST_MODE_DISABLED ||
	    !kmtls_identity_has(sk))
		return;

	f = kmtls_flow_new(sk, KMTLS_ROLE_SERVER, GFP_ATOMIC);
	if (!f) {
		/* Fail closed: held with no flow, every call fails. */
		kmtls_gate_hold(sk->sk_socket);
		sk->sk_err = ECONNABORTED;
		return;
	}
	f->permissive = mode == KMTLS_DEST_MODE_PERMISSIVE;
	write_lock_bh(&sk->sk_callback_lock);
	kmtls_flow_hook_callbacks(f);
	write_unlock_bh(&sk->sk_callback_lock);
	kmtls_flow_start(f);
	kmtls_flow_kick(f);
}

/* Tell the daemon a handshake it runs is over without its done. */
static void kmtls_flow_notify_end(struct kmtls_flow *f, int err)
{
	struct sk_buff *skb;
	void *hdr;

	if (!f->requested || f->gen != kmtls_daemon_gen())
		return;
	skb = kmtls_event_new(64, KMTLS_CMD_HANDSHAKE_DATA, &hdr);
	if (!skb)
		return;
	if (nla_put_u64_64bit(skb, KMTLS_A_FLOW_ID, f->id, KMTLS_A_FLOW_PAD) ||
	    nla_put_u32(skb, KMTLS_A_FLOW_STATUS, err)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	kmtls_daemon_unicast(skb);
}

/* The hold is over either way: drop what only the handshake needed. */
static void kmtls_flow_release(struct kmtls_flow *f)
{
	struct file *file = f->file;

	f->file = NULL;
	f->want_read = false;
	if (cancel_delayed_work(&f->timeout))
		kmtls_flow_put(f);
	kmtls_flow_wake(f->sk);
	if (file)
		fput(file);
}

/* Reset the connection; the application's calls fail with @err. */
static void kmtls_flow_fail(struct kmtls_flow *f, int err)
{
	lockdep_assert_held(&f->lock);
	if (f->phase == KMTLS_PHASE_ESTABLISHED ||
	    f->phase == KMTLS_PHASE_FAILED)
		return;
	WRITE_ONCE(f->err, err);
	WRITE_ONCE(f->phase, KMTLS_PHASE_FAILED);
	kmtls_flow_unhook_callbacks(f);
	kmtls_flow_notify_end(f, err);
	tcp_abort(f->sk, err);
	atomic64_inc(&kmtls_stats.handshakes_failed);
	kmtls_flow_release(f);
}

static int kmtls_flow_request(struct kmtls_flow *f)
{
	struct sk_buff *skb;
	size_t alen = f->family == AF_INET ? 4 : 16;
	void *hdr;
	int ret;

	skb = kmtls_event_new(256 + strlen(f->local_id),
			      KMTLS_CMD_HANDSHAKE_REQUEST, &hdr);
	if (!skb)
		return -ENOMEM;
	if (nla_put_u64_64bit(skb, KMTLS_A_FLOW_ID, f->id, KMTLS_A_FLOW_PAD) ||
	    nla_put_u8(skb, KMTLS_A_FLOW_ROLE, f->role) ||
	    nla_put_u8(skb, KMTLS_A_FLOW_FAMILY, f->family) ||
	    nla_put(skb, KMTLS_A_FLOW_LOCAL_ADDR, alen, f->laddr) ||
	    nla_put_u16(skb, KMTLS_A_FLOW_LOCAL_PORT, ntohs(f->lport)) ||
	    nla_put(skb, KMTLS_A_FLOW_PEER_ADDR, alen, f->raddr) ||
	    nla_put_u16(skb, KMTLS_A_FLOW_PEER_PORT, ntohs(f->rport)) ||
	    nla_put_string(skb, KMTLS_A_FLOW_LOCAL_ID, f->local_id) ||
	    nla_put_u32(skb, KMTLS_A_FLOW_NETNS, f->netns)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	f->gen = kmtls_daemon_gen();
	ret = kmtls_daemon_unicast(skb);
	if (ret)
		return ret;
	f->requested = true;
	atomic64_inc(&kmtls_stats.handshakes);
	return 0;
}

/* TCP's own recvmsg on the socket, bypassing the application's ops. */
static int kmtls_flow_tcp_recv(struct sock *sk, void *buf, size_t len,
			       int flags)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int addr_len = 0;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &iov, 1, len);
	return READ_ONCE(sk->sk_prot)->recvmsg(sk, &msg, len,
					       flags | MSG_DONTWAIT, &addr_len);
}

/* A connection that can give no more bytes: why, as a positive errno. */
static int kmtls_flow_conn_err(struct sock *sk, int ret)
{
	if (ret < 0 && ret != -EAGAIN)
		return -ret;
	if (READ_ONCE(sk->sk_err))
		return READ_ONCE(sk->sk_err);
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN ||
	    READ_ONCE(sk->sk_state) == TCP_CLOSE || ret == 0)
		return ECONNRESET;
	return 0;
}

/*
 * Read exactly one whole TLS record, if it has arrived, and send it to the
 * daemon.  Returns 0 (sent, or not there yet: the data_ready callback will
 * try again) or a positive errno (the flow fails).
 */
static int kmtls_flow_try_read(struct kmtls_flow *f)
{
	struct sock *sk = f->sk;
	u8 hdr_buf[KMTLS_TLS_HDR_LEN];
	struct sk_buff *skb;
	struct nlattr *nla;
	size_t total;
	void *hdr;
	int ret;

	lockdep_assert_held(&f->lock);
	ret = kmtls_flow_tcp_recv(sk, hdr_buf, sizeof(hdr_buf), MSG_PEEK);
	if (ret < (int)sizeof(hdr_buf)) {
		if (ret > 0 && !kmtls_flow_conn_err(sk, -EAGAIN))
			return 0;
		return kmtls_flow_conn_err(sk, ret);
	}
	/* change_cipher_spec, alert, handshake, application_data; legacy
	 * record version 3.x; at most 2^14 + 256 bytes of payload.
	 */
	total = KMTLS_TLS_HDR_LEN + ((hdr_buf[3] << 8) | hdr_buf[4]);
	if (hdr_buf[0] < 20 || hdr_buf[0] > 23 || hdr_buf[1] != 3 ||
	    total > KMTLS_RECORD_MAX_LEN || total == KMTLS_TLS_HDR_LEN)
		return EPROTO;

	skb = kmtls_event_new(total + 64, KMTLS_CMD_HANDSHAKE_DATA, &hdr);
	if (!skb)
		return ENOMEM;
	if (nla_put_u64_64bit(skb, KMTLS_A_FLOW_ID, f->id, KMTLS_A_FLOW_PAD)) {
		nlmsg_free(skb);
		return ENOMEM;
	}
	nla = nla_reserve(skb, KMTLS_A_FLOW_DATA, total);
	if (!nla) {
		nlmsg_free(skb);
		return ENOMEM;
	}
	ret = kmtls_flow_tcp_recv(sk, nla_data(nla), total, MSG_PEEK);
	if (ret < (int)total) {
		nlmsg_free(skb);
		if (ret > 0 && !kmtls_flow_conn_err(sk, -EAGAIN))
			return 0;
		return kmtls_flow_conn_err(sk, ret);
	}
	/* All there: consume exactly the record. */
	ret = kmtls_flow_tcp_recv(sk, nla_data(nla), total, 0);
	if (ret != (int)total) {
		nlmsg_free(skb);
		return ret < 0 ? -ret : EIO;
	}
	genlmsg_end(skb, hdr);
	f->want_read = false;
	ret = kmtls_daemon_unicast(skb);
	return ret ? ECONNREFUSED : 0;
}

/*
 * Judge the flow: the client is the source, the server (and its port) the
 * destination, whichever end this is.  @peer_id NULL: a client without
 * identity (plaintext).
 */
static u8 kmtls_flow_judge(const struct kmtls_flow *f, const char *peer_id,
			   bool count, bool *would)
{
	bool server = f->role == KMTLS_ROLE_SERVER;

	return kmtls_policy_decide(server ? peer_id : f->local_id,
				   server ? f->local_id : peer_id,
				   ntohs(server ? f->lport : f->rport), count,
				   would);
}

/* The decision as a connection is admitted, counted. */
static bool kmtls_flow_denied(struct kmtls_flow *f, const char *peer_id)
{
	bool would;

	if (kmtls_flow_judge(f, peer_id, true, &would) == KMTLS_ACTION_DENY) {
		atomic64_inc(&kmtls_stats.policy_denied);
		return true;
	}
	if (would) {
		f->would_deny = true;
		atomic64_inc(&kmtls_stats.policy_would_deny);
	}
	return false;
}

/*
 * A permissive destination: what the client sent first, peeked.  1: a TLS
 * handshake record (0x16 0x03), 0: anything else, -EAGAIN: not there yet,
 * else a negative errno.
 */
static int kmtls_flow_sniff(struct kmtls_flow *f)
{
	u8 b[2];
	int ret, err;

	ret = kmtls_flow_tcp_recv(f->sk, b, sizeof(b), MSG_PEEK);
	if (ret > 0 && b[0] != 0x16)
		return 0;
	if (ret == sizeof(b))
		return b[1] == 0x03;
	err = kmtls_flow_conn_err(f->sk, ret > 0 ? -EAGAIN : ret);
	return err ? -err : -EAGAIN;
}

/* A permissive destination's plaintext client: judged, then plain TCP. */
static void kmtls_flow_admit_plain(struct kmtls_flow *f)
{
	lockdep_assert_held(&f->lock);
	if (kmtls_flow_denied(f, NULL)) {
		kmtls_flow_fail(f, ECONNREFUSED);
		return;
	}
	kmtls_flow_unhook_callbacks(f);
	kmtls_gate_unhold(f->sock);
	f->plaintext = true;
	atomic64_inc(&kmtls_stats.plaintext_admitted);
	smp_store_release(&f->phase, KMTLS_PHASE_ESTABLISHED);
	kmtls_flow_release(f);
}

static void kmtls_flow_work_fn(struct work_struct *work)
{
	struct kmtls_flow *f = container_of(work, struct kmtls_flow, work);
	int state, err;

	mutex_lock(&f->lock);
	switch (f->phase) {
	case KMTLS_PHASE_CONNECTING:
		state = READ_ONCE(f->sk->sk_state);
		if (state == TCP_SYN_SENT || state == TCP_SYN_RECV)
			break;
		/* A permissive server's plaintext client may have sent its
		 * request and its FIN already: the sniff decides.
		 */
		if (state != TCP_ESTABLISHED &&
		    !(f->permissive && state == TCP_CLOSE_WAIT)) {
			kmtls_flow_fail(f, kmtls_flow_conn_err(f->sk, 0) ?:
					ECONNRESET);
			break;
		}
		if (!kmtls_daemon_attached()) {
			kmtls_flow_fail(f, ECONNREFUSED);
			break;
		}
		if (f->permissive) {
			/* Before the peek, so no data_ready is missed. */
			WRITE_ONCE(f->want_read, true);
			err = kmtls_flow_sniff(f);
			if (err == -EAGAIN)
				break;
			WRITE_ONCE(f->want_read, false);
			if (err < 0) {
				kmtls_flow_fail(f, -err);
				break;
			}
			if (!err) {
				kmtls_flow_admit_plain(f);
				break;
			}
			f->permissive = false;	/* TLS: on as strict */
		}
		err = kmtls_ktls_attach(f->sk, f->sock);
		if (err) {
			kmtls_flow_fail(f, err == -ENOTCONN ? ECONNRESET :
					ECONNABORTED);
			break;
		}
		WRITE_ONCE(f->phase, KMTLS_PHASE_HANDSHAKE);
		if (kmtls_flow_request(f))
			kmtls_flow_fail(f, ECONNREFUSED);
		break;
	case KMTLS_PHASE_HANDSHAKE:
		if (f->gen != kmtls_daemon_gen()) {
			kmtls_flow_fail(f, ECONNREFUSED);	/* daemon gone */
			break;
		}
		/* Reset (or closed) under us: no need to wait for the daemon. */
		if (READ_ONCE(f->sk->sk_state) == TCP_CLOSE) {
			kmtls_flow_fail(f, kmtls_flow_conn_err(f->sk, 0) ?:
					ECONNRESET);
			break;
		}
		if (!f->want_read)
			break;
		err = kmtls_flow_try_read(f);
		if (err)
			kmtls_flow_fail(f, err == EPROTO ? ECONNREFUSED : err);
		break;
	}
	mutex_unlock(&f->lock);
	kmtls_flow_put(f);
}

static void kmtls_flow_timeout_fn(struct work_struct *work)
{
	struct kmtls_flow *f = container_of(to_delayed_work(work),
					    struct kmtls_flow, timeout);

	mutex_lock(&f->lock);
	kmtls_flow_fail(f, ETIMEDOUT);
	mutex_unlock(&f->lock);
	kmtls_flow_put(f);
}

/* handshake-send: the daemon's bytes, written with TCP's own sendmsg. */
int kmtls_flow_send(struct kmtls_flow *f, const void *data, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = (void *)data, .iov_len = len };
	int ret;

	mutex_lock(&f->lock);
	if (f->phase != KMTLS_PHASE_HANDSHAKE) {
		ret = -ENOENT;
		goto out;
	}
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &iov, 1, len);
	ret = READ_ONCE(f->sk->sk_prot)->sendmsg(f->sk, &msg, len);
	if (ret == (int)len) {
		ret = 0;
		goto out;
	}
	/* A handshake flight always fits an empty send buffer. */
	kmtls_flow_fail(f, ret < 0 ? -ret : ENOBUFS);
	ret = ret < 0 ? ret : -ENOBUFS;
out:
	mutex_unlock(&f->lock);
	return ret;
}

/* handshake-recv: send the next record when it is there. */
int kmtls_flow_recv(struct kmtls_flow *f)
{
	int err, ret = 0;

	mutex_lock(&f->lock);
	if (f->phase != KMTLS_PHASE_HANDSHAKE) {
		ret = -ENOENT;
		goto out;
	}
	WRITE_ONCE(f->want_read, true);
	err = kmtls_flow_try_read(f);
	if (err)
		kmtls_flow_fail(f, err == EPROTO ? ECONNREFUSED : err);
out:
	mutex_unlock(&f->lock);
	return ret;
}

/* handshake-done: install the keys, or reset with the daemon's errno. */
int kmtls_flow_done(struct kmtls_flow *f, u32 status, const char *peer_id,
		    const struct kmtls_keys *keys)
{
	char *pid = NULL;
	int ret = 0;

	if (!status) {
		pid = kstrdup(peer_id, GFP_KERNEL);
		if (!pid)
			return -ENOMEM;
	}
	mutex_lock(&f->lock);
	if (f->phase != KMTLS_PHASE_HANDSHAKE) {
		ret = -ENOENT;
		goto out;
	}
	f->requested = false;	/* the daemon knows it is over */
	if (status) {
		kmtls_flow_fail(f, status);
		goto out;
	}
	/* The destination declared its identity: the server must prove it. */
	if (f->want_peer && strcmp(f->want_peer, pid)) {
		pr_debug("flow %llu: server is %s, not the declared %s\n",
			 f->id, pid, f->want_peer);
		kmtls_flow_fail(f, ECONNREFUSED);
		goto out;
	}
	/* Policy, with the peer's verified identity, before a byte flows. */
	if (kmtls_flow_denied(f, pid)) {
		kmtls_flow_fail(f, ECONNREFUSED);
		goto out;
	}
	kmtls_flow_unhook_callbacks(f);
	ret = kmtls_ktls_install(f->sk, f->sock, keys);
	if (ret) {
		pr_warn_ratelimited("flow %llu: kTLS install failed: %d\n",
				    f->id, ret);
		kmtls_flow_fail(f, ECONNABORTED);
		goto out;
	}
	/* With no session tickets the server sends nothing after the
	 * client's Finished: acknowledge it now, or a client's first small
	 * write waits for the delayed ACK (Nagle), 40 ms.
	 */
	tcp_sock_set_quickack(f->sk, 1);
	f->peer_id = pid;
	pid = NULL;
	f->cipher = keys->cipher;
	/* Pairs with the acquire in kmtls_flow_fill(): peer_id is set. */
	smp_store_release(&f->phase, KMTLS_PHASE_ESTABLISHED);
	kmtls_flow_release(f);
out:
	mutex_unlock(&f->lock);
	kfree(pid);
	return ret;
}

/* The daemon detached: its handshakes fail now, not at their timeout. */
void kmtls_flow_daemon_gone(void)
{
	struct kmtls_flow *f;

	rcu_read_lock();
	list_for_each_entry_rcu(f, &kmtls_flows_all, all)
		if (READ_ONCE(f->phase) == KMTLS_PHASE_HANDSHAKE ||
		    READ_ONCE(f->phase) == KMTLS_PHASE_CONNECTING)
			kmtls_flow_kick(f);
	rcu_read_unlock();
}

/*
 * A policy change: judge every established flow again with the current
 * rules and reset those now denied, unless @keep.  Process context; the
 * caller serialises (kmtls_policy_lock).  A flow whose handshake is
 * finishing is waited for (f->lock), so none slips through judged by the
 * old rules.  All are judged before any is reset: a reset reaches the
 * other end's flow on this node, which must be counted too.  Flows the
 * application already closed are left to close.  Counts into @res (may be
 * NULL).
 */
void kmtls_flow_rejudge(bool keep, struct kmtls_policy_result *res)
{
	struct kmtls_flow *f, *tmp;
	LIST_HEAD(todo);
	LIST_HEAD(deny);
	bool would;

	rcu_read_lock();
	list_for_each_entry_rcu(f, &kmtls_flows_all, all) {
		int phase = READ_ONCE(f->phase);

		/* CONNECTING too: a permissive server flow is admitted in
		 * clear from that phase.
		 */
		if (phase != KMTLS_PHASE_FAILED &&
		    refcount_inc_not_zero(&f->ref))
			list_add_tail(&f->judge_node, &todo);
	}
	rcu_read_unlock();

	list_for_each_entry_safe(f, tmp, &todo, judge_node) {
		bool denied = false;

		mutex_lock(&f->lock);
		if (f->phase == KMTLS_PHASE_ESTABLISHED && !f->revoked &&
		    !sock_flag(f->sk, SOCK_DEAD) &&
		    READ_ONCE(f->sk->sk_state) != TCP_CLOSE) {
			denied = kmtls_flow_judge(f, f->peer_id, false, &would) ==
				 KMTLS_ACTION_DENY;
			if (!denied)
				WRITE_ONCE(f->would_deny, would);
			else if (!keep)
				WRITE_ONCE(f->revoked, true);
		}
		mutex_unlock(&f->lock);
		if (denied && res)
			keep ? res->kept++ : res->reset++;
		if (denied && !keep) {
			list_move_tail(&f->judge_node, &deny);
			continue;
		}
		list_del(&f->judge_node);
		kmtls_flow_put(f);
		cond_resched();
	}

	list_for_each_entry_safe(f, tmp, &deny, judge_node) {
		list_del(&f->judge_node);
		tcp_abort(f->sk, ECONNRESET);
		atomic64_inc(&kmtls_stats.policy_reset);
		kmtls_flow_put(f);
		cond_resched();
	}
}

static void kmtls_flow_unlink(struct kmtls_flow *f)
{
	lockdep_assert_held(&kmtls_flows_lock);
	hash_del_rcu(&f->id_link);
	hash_del_rcu(&f->sock_link);
	list_del_rcu(&f->all);
	f->linked = false;
	atomic_dec(&kmtls_stats.flows);
}

/* A flow lives until the application has closed its socket (or the
 * socket is gone from TCP); a held one until its hold ends.
 */
static bool kmtls_flow_dead(const struct kmtls_flow *f)
{
	int phase = READ_ONCE(f->phase);

	if (phase != KMTLS_PHASE_ESTABLISHED && phase != KMTLS_PHASE_FAILED)
		return false;
	return sock_flag(f->sk, SOCK_DEAD);
}

static void kmtls_flow_gc_fn(struct work_struct *work)
{
	struct kmtls_flow *f, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&kmtls_flows_lock);
	list_for_each_entry_safe(f, tmp, &kmtls_flows_all, all) {
		if (!kmtls_flow_dead(f))
			continue;
		kmtls_flow_unlink(f);
		list_add(&f->gc_node, &dead);
	}
	spin_unlock_bh(&kmtls_flows_lock);
	list_for_each_entry_safe(f, tmp, &dead, gc_node)
		kmtls_flow_put(f);
	kmtls_gate_gc_listeners();
	queue_delayed_work(kmtls_wq, &kmtls_flow_gc_work,
			   msecs_to_jiffies(KMTLS_FLOW_GC_MS));
}

int kmtls_flow_walk(unsigned long *pos,
		    int (*fill)(void *arg, const struct kmtls_flow *f), void *arg)
{
	struct kmtls_flow *f;
	int ret = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(f, &kmtls_flows_all, all) {
		int phase = READ_ONCE(f->phase);

		/* A flow a policy change reset is gone for the operator. */
		if (f->id <= *pos || phase == KMTLS_PHASE_FAILED ||
		    phase == KMTLS_PHASE_CONNECTING || READ_ONCE(f->revoked))
			continue;
		ret = fill(arg, f);
		if (ret)
			break;
		*pos = f->id;
	}
	rcu_read_unlock();
	return ret;
}

/* One flow-get entry.  Under RCU; fields read once. */
int kmtls_flow_fill(struct sk_buff *skb, const struct kmtls_flow *f)
{
	size_t alen = f->family == AF_INET ? 4 : 16;
	int phase = smp_load_acquire(&f->phase);
	bool est = phase == KMTLS_PHASE_ESTABLISHED;
	const char *peer = est ? f->peer_id : NULL;

	if (nla_put_u64_64bit(skb, KMTLS_A_FLOW_ID, f->id, KMTLS_A_FLOW_PAD) ||
	    nla_put_u8(skb, KMTLS_A_FLOW_ROLE, f->role) ||
	    nla_put_u8(skb, KMTLS_A_FLOW_FAMILY, f->family) ||
	    nla_put(skb, KMTLS_A_FLOW_LOCAL_ADDR, alen, f->laddr) ||
	    nla_put_u16(skb, KMTLS_A_FLOW_LOCAL_PORT, ntohs(f->lport)) ||
	    nla_put(skb, KMTLS_A_FLOW_PEER_ADDR, alen, f->raddr) ||
	    nla_put_u16(skb, KMTLS_A_FLOW_PEER_PORT, ntohs(f->rport)) ||
	    nla_put_string(skb, KMTLS_A_FLOW_LOCAL_ID, f->local_id) ||
	    (peer && nla_put_string(skb, KMTLS_A_FLOW_PEER_ID, peer)) ||
	    nla_put_u8(skb, KMTLS_A_FLOW_STATE,
		       phase == KMTLS_PHASE_ESTABLISHED ?
		       KMTLS_FLOW_STATE_ESTABLISHED :
		       KMTLS_FLOW_STATE_HANDSHAKE) ||
	    (peer && !f->plaintext &&
	     nla_put_u16(skb, KMTLS_A_FLOW_CIPHER, f->cipher)) ||
	    nla_put_u64_64bit(skb, KMTLS_A_FLOW_AGE_MS,
			      div_u64(ktime_get_ns() - f->born, NSEC_PER_MSEC),
			      KMTLS_A_FLOW_PAD) ||
	    nla_put_u32(skb, KMTLS_A_FLOW_NETNS, f->netns) ||
	    (est && nla_put_u8(skb, KMTLS_A_FLOW_WOULD_DENY,
			       READ_ONCE(f->would_deny))) ||
	    (est && nla_put_u8(skb, KMTLS_A_FLOW_PLAINTEXT, f->plaintext)))
		return -EMSGSIZE;
	return 0;
}

int kmtls_flow_init(void)
{
	kmtls_wq = alloc_workqueue("kmtls", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!kmtls_wq)
		return -ENOMEM;
	INIT_DELAYED_WORK(&kmtls_flow_gc_work, kmtls_flow_gc_fn);
	queue_delayed_work(kmtls_wq, &kmtls_flow_gc_work,
			   msecs_to_jiffies(KMTLS_FLOW_GC_MS));
	return 0;
}

/*
 * Module exit: nothing is held any more (a held socket pins the module), so
 * every flow is established or failed; drop them all.
 */
void kmtls_flow_exit(void)
{
	struct kmtls_flow *f, *tmp;

	cancel_delayed_work_sync(&kmtls_flow_gc_work);
	flush_workqueue(kmtls_wq);
	spin_lock_bh(&kmtls_flows_lock);
	list_for_each_entry_safe(f, tmp, &kmtls_flows_all, all) {
		kmtls_flow_unlink(f);
		/* The tables' reference; no other can be left. */
		if (!refcount_dec_and_test(&f->ref)) {
			WARN_ON_ONCE(1);
			continue;
		}
		WARN_ON_ONCE(f->file);
		sock_put(f->sk);
		call_rcu(&f->rcu, kmtls_flow_free_rcu);
	}
	spin_unlock_bh(&kmtls_flows_lock);
	destroy_workqueue(kmtls_wq);
	rcu_barrier();
}
