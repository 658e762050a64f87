/* priv.c - drop root after set-up (setgroups/setresgid/setresuid), keep only
 * the named capabilities (capset(2) via the raw syscall: no libcap needed),
 * clear the bounding and ambient sets, PR_SET_NO_NEW_PRIVS, and verify.
 * Modelled on OpenBSD ping(8): open the raw socket first, then give up
 * everything else -- whether or not the user named an account to run as. */
#include "priv.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/capability.h>
#endif

void priv_lookup(const char *user, struct priv_user *out)
{
	struct passwd *pw = getpwnam(user);
	char *end;

	memset(out, 0, sizeof(*out));
	if (!pw) {
		unsigned long uid = strtoul(user, &end, 10);
		if (*user && !*end)
			pw = getpwuid((uid_t)uid);
	}
	if (!pw)
		die(EXIT_USAGE, "invalid --user value '%s': no such user", user);
	out->set = true;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
}

#ifdef __linux__
static int cap_get(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	*perm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	return 0;
}

static int cap_set(uint64_t caps)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));	/* inheritable: none */
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

uint64_t priv_effective_caps(void)
{
	uint64_t eff = 0, perm = 0;

	return cap_get(&eff, &perm) == 0 ? eff : 0;
}

/* Threads of this process (/proc/self/task entries); -1 if unknown. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void clear_inheritance(void)
{
	/* Every capability leaves the bounding set, the kept ones too: it only
	 * limits what an execve() could gain, and v6kit execs nothing. */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			die(EXIT_RESOURCE, "cannot drop capability %d from the bounding set: %s", cap,
			    strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die(EXIT_RESOURCE, "cannot clear the ambient capabilities: %s", strerror(errno));
}
#else
uint64_t priv_effective_caps(void) { return 0; }
#endif

void priv_drop(const struct priv_user *u, uint64_t keep_caps)
{
	bool change_uid = u && u->set;
	uid_t uid = change_uid ? u->uid : geteuid();
	const char *who = change_uid ? u->name : "the current user";
#ifdef __linux__
	uint64_t eff = 0, perm = 0;
	int threads = thread_count();

	if (threads > 1)
		die(EXIT_RESOURCE, "internal error: privileges dropped with %d threads running "
		    "(the others would keep theirs)", threads);
	if (cap_get(&eff, &perm) < 0)
		die(EXIT_RESOURCE, "capget: %s", strerror(errno));
	/* Keep only what we hold: started with fewer (ambient) capabilities,
	 * the set-up already failed for anything that needed the rest. */
	keep_caps &= perm;
	clear_inheritance();
	if (change_uid && keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die(EXIT_RESOURCE, "PR_SET_KEEPCAPS: %s", strerror(errno));
#endif
	if (change_uid) {
		gid_t gid = u->gid;

		if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			die(EXIT_RESOURCE, "cannot drop privileges to '%s': %s", who, strerror(errno));
	}
#ifdef __linux__
	/* After setresuid only the permitted set survives (KEEPCAPS); without
	 * --user this is where root gives its capabilities up. */
	if (cap_set(keep_caps) < 0)
		die(EXIT_RESOURCE, "cannot keep capabilities 0x%llx: %s", (unsigned long long)keep_caps,
		    strerror(errno));
	if (cap_get(&eff, &perm) < 0 || eff != keep_caps || perm != keep_caps)
		die(EXIT_RESOURCE, "capabilities are 0x%llx after dropping privileges, expected 0x%llx",
		    (unsigned long long)eff, (unsigned long long)keep_caps);
	if (change_uid)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_RESOURCE, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
#endif
	if (change_uid && uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		die(EXIT_RESOURCE, "privileges could be regained after dropping them");
	debugmsg("running as %s (uid %u), capabilities 0x%llx", who, (unsigned)uid,
		 (unsigned long long)keep_caps);
}

/* File capabilities given as permitted only (`setcap ...+p`, as the Debian
 * postinst does, like ping's): make them effective, as "+ep" would.  "+ep"
 * cannot be used: the kernel refuses to execute a file with the effective
 * bit whose capabilities the bounding set does not all allow (capabilities(7),
 * "capability-dumb binaries"), and each systemd unit bounds v6kit to what
 * that applet needs.  Inheritable and ambient sets are left as they are (a
 * helper v6kit runs, such as nft, keeps what systemd gave it). */
void priv_raise_permitted(void)
{
#ifdef __linux__
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return;
	if (data[0].effective == data[0].permitted && data[1].effective == data[1].permitted)
		return;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		debugmsg("cannot make the permitted capabilities effective: %s", strerror(errno));
#endif
}
