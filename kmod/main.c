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

	ret = kmtls_hooks_init();
	if (ret)
		goto err_identity;

	/* Last: once the family is registered, userspace can reach us. */
	ret = kmtls_netlink_init();
	if (ret)
		goto err_hooks;

	pr_info("kmtls " KMTLS_VERSION " loaded\n");
	return 0;

err_hooks:
	kmtls_hooks_exit();
err_identity:
	kmtls_identity_exit();
	return ret;
}

static void __exit kmtls_exit(void)
{
	kmtls_netlink_exit();
	kmtls_hooks_exit();
	kmtls_dest_exit();
	kmtls_identity_exit();
	pr_info("kmtls unloaded\n");
}

module_init(kmtls_init);
module_exit(kmtls_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(KMTLS_VERSION);
MODULE_AUTHOR("The kmtls authors");
MODULE_DESCRIPTION("Transparent in-kernel mutual TLS for local workloads");
