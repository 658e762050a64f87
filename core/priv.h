/* priv.h - least privilege for the live applets: open sockets and capture
 * handles first, then give up every capability not still needed (usually
 * all), clear the bounding and ambient sets, set PR_SET_NO_NEW_PRIVS and,
 * with --user USER, change the uid; then verify the result. */
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

/* Bit for a capability number in priv_drop()'s keep mask, e.g.
 * PRIV_CAP(CAP_NET_ADMIN) (linux/capability.h numbers). */
#define PRIV_CAP(n) (UINT64_C(1) << (n))

/* The one drop, called by every live applet once set-up is done and before
 * any thread starts (capabilities are per thread: a thread that exists now
 * would keep them; priv_drop() exits 3 if the process has more than one).
 * With or without --user (u NULL or !u->set: the uid stays):
 *   - the bounding set and the ambient set are cleared (the bounding set
 *     needs CAP_SETPCAP: started unprivileged with ambient capabilities,
 *     it stays, and PR_SET_NO_NEW_PRIVS closes the same door),
 *   - with --user: supplementary groups, real/effective/saved gid and uid,
 *   - permitted = effective = keep_caps & what the process held, inheritable 0,
 *   - PR_SET_NO_NEW_PRIVS, and a check that uid 0 cannot be regained.
 * Any failure exits 3: a daemon never runs with more than it asked for. */
void priv_drop(const struct priv_user *u, uint64_t keep_caps);

/* Effective capabilities of this thread (for tests and logs). */
uint64_t priv_effective_caps(void);

/* At start: make the permitted capabilities effective (file capabilities
 * set as "+p"); inheritable and ambient sets untouched.  See priv.c. */
void priv_raise_permitted(void);

#endif
