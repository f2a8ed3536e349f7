// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake daemon: who it is, and the messages between it and us.
 *
 * One daemon at a time: daemon-attach makes the caller's netlink port the
 * daemon.  Requests and records are unicast to that port.  When the port
 * closes (exit, crash, kill -9) the NETLINK_URELEASE notifier detaches it,
 * the generation moves on, and every handshake it was running fails at
 * once instead of at its timeout.  Established flows are plain kTLS
 * sockets by then and are not touched.
 *
 * handshake-send/-recv/-done come only from the attached daemon's port; the
 * flow code does the work (flow.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/tls.h>
#include <linux/kmtls.h>
#include <net/genetlink.h>

#include "kmtls.h"

static DEFINE_MUTEX(kmtls_daemon_lock);
static u32 kmtls_daemon_portid;		/* 0: none */
static atomic_t kmtls_daemon_generation = ATOMIC_INIT(0);

bool kmtls_daemon_attached(void)
{
	return READ_ONCE(kmtls_daemon_portid) != 0;
}

bool kmtls_daemon_is(u32 portid)
{
	return portid && READ_ONCE(kmtls_daemon_portid) == portid;
}

u32 kmtls_daemon_gen(void)
{
	return atomic_read(&kmtls_daemon_generation);
}

int kmtls_daemon_attach(u32 portid, struct netlink_ext_ack *extack)
{
	int ret = 0;

	mutex_lock(&kmtls_daemon_lock);
	if (kmtls_daemon_portid && kmtls_daemon_portid != portid) {
		NL_SET_ERR_MSG(extack, "another handshake daemon is attached");
		ret = -EBUSY;
	} else if (!kmtls_daemon_portid) {
		atomic_inc(&kmtls_daemon_generation);
		WRITE_ONCE(kmtls_daemon_portid, portid);
		pr_info("handshake daemon attached (port %u)\n", portid);
	}
	mutex_unlock(&kmtls_daemon_lock);
	return ret;
}

/* A new kernel -> daemon message; fill it, genlmsg_end() it, unicast it. */
struct sk_buff *kmtls_event_new(size_t payload, u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(payload, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &kmtls_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* Consumes @skb.  -ENOTCONN without a daemon. */
int kmtls_daemon_unicast(struct sk_buff *skb)
{
	u32 portid = READ_ONCE(kmtls_daemon_portid);

	if (!portid) {
		nlmsg_free(skb);
		return -ENOTCONN;
	}
	return genlmsg_unicast(&init_net, skb, portid);
}

static void kmtls_daemon_detach(u32 portid)
{
	bool gone = false;

	mutex_lock(&kmtls_daemon_lock);
	if (kmtls_daemon_portid && kmtls_daemon_portid == portid) {
		WRITE_ONCE(kmtls_daemon_portid, 0);
		atomic_inc(&kmtls_daemon_generation);
		gone = true;
	}
	mutex_unlock(&kmtls_daemon_lock);
	if (gone) {
		pr_info("handshake daemon detached (port %u)\n", portid);
		kmtls_flow_daemon_gone();
	}
}

static int kmtls_netlink_notify(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net)) {
		kmtls_daemon_detach(n->portid);
		kmtls_policy_release(n->portid);
	}
	return NOTIFY_DONE;
}

static struct notifier_block kmtls_netlink_notifier = {
	.notifier_call = kmtls_netlink_notify,
};

int kmtls_handshake_init(void)
{
	return netlink_register_notifier(&kmtls_netlink_notifier);
}

void kmtls_handshake_exit(void)
{
	netlink_unregister_notifier(&kmtls_netlink_notifier);
	WRITE_ONCE(kmtls_daemon_portid, 0);
}
