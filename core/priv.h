/* priv.h - least privilege for the live applets: open sockets and capture
 * handles first, then drop to --user USER keeping only the capabilities still
 * needed (usually none), with PR_SET_NO_NEW_PRIVS, and verify the drop. */
#ifndef V6_PRIV_H
#define V6_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct priv_user {
	bool set;
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Resolve USER (name or numeric uid) while parsing options: exit 2 if unknown. */
void priv_lookup(const char *user, struct priv_user *out);

/* Bit for a capability number in priv_drop()'s keep mask, e.g. PRIV_CAP(12)
 * for CAP_NET_ADMIN (linux/capability.h numbers). */
#define PRIV_CAP(n) (UINT64_C(1) << (n))

/* Drop to u (no-op when !u->set): bounding set reduced to keep_caps,
 * supplementary groups, real/effective/saved gid and uid; then permitted and
 * effective capabilities = keep_caps, PR_SET_NO_NEW_PRIVS, and a check that
 * uid 0 cannot be regained.  Any failure exits 3: a daemon that asked to
 * drop privileges never runs with more than it asked for. */
void priv_drop(const struct priv_user *u, uint64_t keep_caps);

/* Effective capabilities of this process (for tests and logs). */
uint64_t priv_effective_caps(void);

/* At start: make the permitted capabilities effective (file capabilities
 * set as "+p"); inheritable and ambient sets untouched.  See priv.c. */
void priv_raise_permitted(void);

#endif
