// SPDX-License-Identifier: GPL-2.0
/*
 * Node-wide settings.  There is one configuration per node, set and read
 * through the netlink family in the initial network namespace.
 *
 * Writers serialise on kmtls_config_lock; each field is read lock-free with
 * READ_ONCE(), so a reader on a hot path never waits for a writer.
 */
#include <linux/mutex.h>
#include <linux/compiler.h>
#include <linux/kmtls.h>

#include "kmtls.h"

static DEFINE_MUTEX(kmtls_config_lock);
static struct kmtls_config kmtls_config;

void kmtls_config_init(void)
{
	mutex_lock(&kmtls_config_lock);
	WRITE_ONCE(kmtls_config.handshake_timeout_ms,
		   KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS);
	WRITE_ONCE(kmtls_config.policy_default, KMTLS_ACTION_ALLOW);
	mutex_unlock(&kmtls_config_lock);
}

u8 kmtls_config_policy_default(void)
{
	return READ_ONCE(kmtls_config.policy_default);
}

int kmtls_config_set_policy_default(u8 action)
{
	if (action < KMTLS_ACTION_ALLOW || action > KMTLS_ACTION_AUDIT)
		return -ERANGE;
	mutex_lock(&kmtls_config_lock);
	WRITE_ONCE(kmtls_config.policy_default, action);
	mutex_unlock(&kmtls_config_lock);
	return 0;
}

void kmtls_config_get(struct kmtls_config *out)
{
	out->handshake_timeout_ms = READ_ONCE(kmtls_config.handshake_timeout_ms);
	out->policy_default = READ_ONCE(kmtls_config.policy_default);
}

/* The netlink policy already checked the range; check again so no other
 * caller can store a value the rest of the module does not expect.
 */
int kmtls_config_set_handshake_timeout(u32 ms)
{
	if (ms < KMTLS_HANDSHAKE_TIMEOUT_MIN_MS ||
	    ms > KMTLS_HANDSHAKE_TIMEOUT_MAX_MS)
		return -ERANGE;

	mutex_lock(&kmtls_config_lock);
	WRITE_ONCE(kmtls_config.handshake_timeout_ms, ms);
	mutex_unlock(&kmtls_config_lock);
	return 0;
}
