/* test_priv.c - priv_drop(): ids, capabilities, bounding set and
 * no_new_privs as the kernel reports them in /proc/self/status, checked in
 * forked children (root only), with and without --user. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"
#include "t.h"

static int status_field(const char *name, char *val, size_t n)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int found = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':') {
			snprintf(val, n, "%s", line + strlen(name) + 1);
			found = 0;
		}
	if (f)
		fclose(f);
	return found;
}

/* Runs in a child; returns the number of failed expectations as exit code. */
static int child(uint64_t keep, bool with_user)
{
	struct priv_user u = { 0 };
	char v[256];
	unsigned uid[4], gid[4];
	unsigned long long eff = 0, prm = 0, bnd = 0;
	int fails = 0, nnp = 0;

	if (with_user)
		priv_lookup("nobody", &u);
	else
		u.uid = 0, u.gid = 0;
	priv_drop(with_user ? &u : NULL, keep);
	if (status_field("Uid", v, sizeof(v)) || sscanf(v, "%u %u %u %u", &uid[0], &uid[1], &uid[2], &uid[3]) != 4)
		return 99;
	fails += !(uid[0] == u.uid && uid[1] == u.uid && uid[2] == u.uid);
	if (status_field("Gid", v, sizeof(v)) || sscanf(v, "%u %u %u %u", &gid[0], &gid[1], &gid[2], &gid[3]) != 4)
		return 99;
	fails += !(gid[0] == u.gid && gid[1] == u.gid && gid[2] == u.gid);
	status_field("CapEff", v, sizeof(v));
	sscanf(v, "%llx", &eff);
	status_field("CapPrm", v, sizeof(v));
	sscanf(v, "%llx", &prm);
	status_field("CapBnd", v, sizeof(v));
	sscanf(v, "%llx", &bnd);
	status_field("NoNewPrivs", v, sizeof(v));
	sscanf(v, "%d", &nnp);
	fails += eff != keep;
	fails += prm != keep;
	fails += bnd != 0;
	fails += nnp != 1;
	if (with_user)
		fails += setuid(0) == 0;
	fails += priv_effective_caps() != keep;
	return fails;
}

static int run_child(uint64_t keep, bool with_user)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(keep, with_user));
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static void test_drop_all(void)
{
	CHECK_EQ(run_child(0, true), 0);
}

static void test_keep_net_admin(void)
{
	CHECK_EQ(run_child(PRIV_CAP(12), true), 0);		/* CAP_NET_ADMIN */
	CHECK_EQ(run_child(PRIV_CAP(12) | PRIV_CAP(13), true), 0);	/* + CAP_NET_RAW */
}

/* No --user: root stays uid 0 but holds nothing (or only what it keeps). */
static void test_without_user(void)
{
	CHECK_EQ(run_child(0, false), 0);
	CHECK_EQ(run_child(PRIV_CAP(13), false), 0);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* Exit status of fn run in a forked child (stderr silenced); -1 if killed. */
static int child_status(int (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		_exit(fn());
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int drop_with_a_thread(void)
{
	pthread_t t;

	pthread_create(&t, NULL, idle_thread, NULL);
	priv_drop(NULL, 0);
	return 0;
}

/* A thread started before the drop would keep root's capabilities. */
static void test_threads_refused(void)
{
	CHECK_EQ(child_status(drop_with_a_thread), 3);
}

static int keep_after_dropping_all(void)
{
	priv_drop(NULL, 0);
	priv_drop(NULL, PRIV_CAP(12));
	return priv_effective_caps() == 0 ? 0 : 1;
}

/* Keeping a capability the process does not hold keeps nothing. */
static void test_keep_only_held(void)
{
	CHECK_EQ(child_status(keep_after_dropping_all), 0);
}

static int lookup_unknown_user(void)
{
	struct priv_user u;

	priv_lookup("no-such-user-v6kit", &u);
	return 0;
}

static void test_unknown_user_exits_2(void)
{
	CHECK_EQ(child_status(lookup_unknown_user), 2);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("ok 1 # skip priv tests need root\n1..1\n");
		return 0;
	}
	RUN(test_drop_all);
	RUN(test_keep_net_admin);
	RUN(test_without_user);
	RUN(test_threads_refused);
	RUN(test_keep_only_held);
	RUN(test_unknown_user_exits_2);
	return t_done();
}
