// SPDX-License-Identifier: GPL-2.0
/*
 * kmtls: transparent in-kernel mutual TLS.
 *
 * This file only brings the subsystems up in order and takes them down in
 * reverse.  Each subsystem lives in a file of its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>

#include "kmtls.h"

static int __init kmtls_init(void)
{
	int ret;

	kmtls_config_init();
	kmtls_identity_init();

	ret = kmtls_policy_init();
	if (ret)
		goto err_identity;

	ret = kmtls_gate_init();
	if (ret)
		goto err_policy;

	ret = kmtls_flow_init();
	if (ret)
		goto err_gate;

	ret = kmtls_handshake_init();
	if (ret)
		goto err_flow;

	ret = kmtls_hooks_init();
	if (ret)
		goto err_handshake;

	/* Last: once the family is registered, userspace can reach us. */
	ret = kmtls_netlink_init();
	if (ret)
		goto err_hooks;

	pr_info("kmtls " KMTLS_VERSION " loaded\n");
	return 0;

err_hooks:
	kmtls_hooks_exit();
err_handshake:
	kmtls_handshake_exit();
err_flow:
	kmtls_flow_exit();
err_gate:
	kmtls_gate_exit();
err_policy:
	kmtls_policy_exit();
err_identity:
	kmtls_identity_exit();
	return ret;
}

static void __exit kmtls_exit(void)
{
	kmtls_netlink_exit();
	kmtls_hooks_exit();
	kmtls_handshake_exit();
	kmtls_flow_exit();
	kmtls_gate_exit();
	kmtls_ktls_exit();
	kmtls_policy_exit();
	kmtls_dest_exit();
	kmtls_identity_exit();
	pr_info("kmtls unloaded\n");
}

module_init(kmtls_init);
module_exit(kmtls_exit);

MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: tls nf_reject_ipv4 nf_reject_ipv6");
MODULE_VERSION(KMTLS_VERSION);
MODULE_AUTHOR("The kmtls authors");
MODULE_DESCRIPTION("Transparent in-kernel mutual TLS for local workloads");
