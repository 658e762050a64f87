/* hostprep.c - offloads off via the ethtool ioctl, RST suppression in an
 * nftables table of our own, both undone on exit (see hostprep.h). */
#include "hostprep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#endif

#include "util.h"

/* Everything that merges received packets or lets the stack hand over
 * oversized segments, by name pattern over the kernel's own feature names
 * (ETH_SS_FEATURES), so features newer than this list are caught too (Linux
 * 6.18 added tx-tcp-accecn-segmentation): every tx-tcp*-segmentation (TSO,
 * tcp-segmentation-offload), tx-generic-segmentation (GSO), every rx-gro*
 * (GRO, hardware GRO, GRO list), rx-lro (LRO). */
bool hostprep_offload_wanted_off(const char *name)
{
	size_t n = strlen(name);
	static const char seg[] = "-segmentation";
	size_t ls = sizeof(seg) - 1;

	if (!strncmp(name, "tx-tcp", 6) && n >= 6 + ls && !strcmp(name + n - ls, seg))
		return true;
	return !strcmp(name, "tx-generic-segmentation") || !strncmp(name, "rx-gro", 6) ||
	       !strcmp(name, "rx-lro");
}

void hostprep_init(struct hostprep *hp)
{
	memset(hp, 0, sizeof(*hp));
	hp->keeper_fd = -1;
}

#ifdef __linux__

struct feat_state {
	unsigned count, blocks;
	unsigned n;			/* offload features the device has */
	unsigned idx[HOSTPREP_MAX_FEAT];	/* their bits */
	char name[HOSTPREP_MAX_FEAT][ETH_GSTRING_LEN + 1];
	struct ethtool_gfeatures *g;
};

static int eth_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static int feat_load(int fd, const char *ifname, struct feat_state *st, char err[HOSTPREP_ERRLEN])
{
	struct ethtool_sset_info *info;
	struct ethtool_gstrings *gs;

	memset(st, 0, sizeof(*st));
	info = xcalloc(1, sizeof(*info) + sizeof(uint32_t));	/* one set asked, one count back */
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ull << ETH_SS_FEATURES;
	if (eth_ioctl(fd, ifname, info) < 0 || !(info->sset_mask & (1ull << ETH_SS_FEATURES))) {
		snprintf(err, HOSTPREP_ERRLEN, "%s: cannot read offload features: %s", ifname,
			 errno == ENODEV ? "no such interface" : strerror(errno));
		free(info);
		return -1;
	}
	st->count = info->data[0];
	free(info);
	st->blocks = (st->count + 31) / 32;
	gs = xcalloc(1, sizeof(*gs) + (size_t)st->count * ETH_GSTRING_LEN);
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = st->count;
	if (eth_ioctl(fd, ifname, gs) < 0) {
		snprintf(err, HOSTPREP_ERRLEN, "%s: cannot read feature names: %s", ifname, strerror(errno));
		free(gs);
		return -1;
	}
	for (unsigned i = 0; i < gs->len && i < st->count && st->n < HOSTPREP_MAX_FEAT; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, gs->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		if (!hostprep_offload_wanted_off(name))
			continue;
		st->idx[st->n] = i;
		memcpy(st->name[st->n], name, sizeof(st->name[0]));
		st->n++;
	}
	free(gs);
	/* Messages list them by name (rx-gro... first), not by bit number. */
	for (unsigned a = 1; a < st->n; a++) {
		for (unsigned b = a; b > 0 && strcmp(st->name[b - 1], st->name[b]) > 0; b--) {
			char tmp[ETH_GSTRING_LEN + 1];
			unsigned ti = st->idx[b];

			memcpy(tmp, st->name[b], sizeof(tmp));
			memcpy(st->name[b], st->name[b - 1], sizeof(tmp));
			memcpy(st->name[b - 1], tmp, sizeof(tmp));
			st->idx[b] = st->idx[b - 1];
			st->idx[b - 1] = ti;
		}
	}
	st->g = xcalloc(1, sizeof(*st->g) + st->blocks * sizeof(st->g->features[0]));
	st->g->cmd = ETHTOOL_GFEATURES;
	st->g->size = st->blocks;
	if (eth_ioctl(fd, ifname, st->g) < 0) {
		snprintf(err, HOSTPREP_ERRLEN, "%s: cannot read features: %s", ifname, strerror(errno));
		free(st->g);
		st->g = NULL;
		return -1;
	}
	return 0;
}

static bool bit(const struct feat_state *st, unsigned i, size_t field)
{
	const struct ethtool_get_features_block *b = &st->g->features[i / 32];
	uint32_t v = field == 0 ? b->available : field == 1 ? b->requested :
		     field == 2 ? b->active : b->never_changed;

	return v >> (i % 32) & 1;
}
#define F_AVAILABLE 0
#define F_REQUESTED 1
#define F_ACTIVE 2

static int open_ctl(char err[HOSTPREP_ERRLEN])
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		snprintf(err, HOSTPREP_ERRLEN, "socket: %s", strerror(errno));
	return fd;
}

int hostprep_offloads_check(const char *ifname, char *names, size_t cap, char err[HOSTPREP_ERRLEN])
{
	struct feat_state st;
	int fd = open_ctl(err), on = 0;
	size_t len = 0;

	if (fd < 0)
		return -1;
	if (cap)
		names[0] = 0;
	if (feat_load(fd, ifname, &st, err) < 0) {
		close(fd);
		return -1;
	}
	for (unsigned f = 0; f < st.n; f++) {
		if (!bit(&st, st.idx[f], F_ACTIVE))
			continue;
		on++;
		if (cap > len)
			len += (size_t)snprintf(names + len, cap - len, "%s%s", len ? "," : "", st.name[f]);
	}
	free(st.g);
	close(fd);
	return on;
}

/* ethtool's gro, lro, gso and tso keywords cover rx-gro, rx-lro,
 * tx-generic-segmentation and every tx-tcp*-segmentation; the others that
 * are on (rx-gro-list, rx-gro-hw) are named one by one. */
void hostprep_offloads_cmd(const char *ifname, char *buf, size_t cap)
{
	struct feat_state st;
	char err[HOSTPREP_ERRLEN];
	size_t len;
	int fd;

	len = (size_t)snprintf(buf, cap, "ethtool -K %s gro off lro off gso off tso off", ifname);
	if ((fd = open_ctl(err)) < 0)
		return;
	if (feat_load(fd, ifname, &st, err) == 0) {
		for (unsigned f = 0; f < st.n && len < cap; f++) {
			const char *name = st.name[f];

			if (!bit(&st, st.idx[f], F_ACTIVE) || !strcmp(name, "rx-gro") ||
			    !strcmp(name, "rx-lro") || !strcmp(name, "tx-generic-segmentation") ||
			    !strncmp(name, "tx-tcp", 6))
				continue;
			len += (size_t)snprintf(buf + len, cap - len, " %s off", name);
		}
		free(st.g);
	}
	close(fd);
}

int hostprep_offloads_off(struct hostprep *hp, const char *ifname, char err[HOSTPREP_ERRLEN])
{
	struct feat_state st;
	struct ethtool_sfeatures *s;
	struct hostprep_if *hi;
	int fd, rc = 0;

	for (unsigned i = 0; i < hp->n_if; i++)
		if (!strcmp(hp->ifs[i].name, ifname))
			return 0;
	if (hp->n_if >= HOSTPREP_MAX_IF) {
		snprintf(err, HOSTPREP_ERRLEN, "too many interfaces");
		return -1;
	}
	if ((fd = open_ctl(err)) < 0)
		return -1;
	if (feat_load(fd, ifname, &st, err) < 0) {
		close(fd);
		return -1;
	}
	hi = &hp->ifs[hp->n_if];
	memset(hi, 0, sizeof(*hi));
	snprintf(hi->name, sizeof(hi->name), "%s", ifname);
	hi->blocks = st.blocks;
	s = xcalloc(1, sizeof(*s) + st.blocks * sizeof(s->features[0]));
	s->cmd = ETHTOOL_SFEATURES;
	s->size = st.blocks;
	for (unsigned f = 0; f < st.n; f++) {
		unsigned i = st.idx[f];

		if (!(bit(&st, i, F_ACTIVE) || bit(&st, i, F_REQUESTED)))
			continue;
		if (!bit(&st, i, F_AVAILABLE)) {
			if (bit(&st, i, F_ACTIVE)) {
				snprintf(err, HOSTPREP_ERRLEN, "%s: %s is on and fixed by the driver",
					 ifname, st.name[f]);
				rc = -1;
			}
			continue;
		}
		s->features[i / 32].valid |= 1u << (i % 32);
		hi->idx[hi->n] = i;
		hi->was_requested[hi->n] = bit(&st, i, F_REQUESTED);
		hi->n++;
	}
	if (rc == 0 && hi->n) {
		hp->n_if++;	/* from now on restore tries, even if the set half failed */
		if (eth_ioctl(fd, ifname, s) < 0) {
			snprintf(err, HOSTPREP_ERRLEN, "%s: cannot switch offloads off: %s", ifname,
				 strerror(errno));
			rc = -1;
		}
	}
	free(s);
	free(st.g);
	close(fd);
	return rc;
}

static void offloads_restore(const struct hostprep_if *hi)
{
	struct ethtool_sfeatures *s;
	unsigned blocks = hi->blocks;
	char err[HOSTPREP_ERRLEN];
	int fd;

	if (!hi->n || (fd = open_ctl(err)) < 0)
		return;
	s = xcalloc(1, sizeof(*s) + blocks * sizeof(s->features[0]));
	s->cmd = ETHTOOL_SFEATURES;
	s->size = blocks;
	for (unsigned k = 0; k < hi->n; k++) {
		s->features[hi->idx[k] / 32].valid |= 1u << (hi->idx[k] % 32);
		if (hi->was_requested[k])
			s->features[hi->idx[k] / 32].requested |= 1u << (hi->idx[k] % 32);
	}
	/* ETHTOOL_SFEATURES returns a positive mask when the result differs
	 * from the request (dependent features): not an error. */
	if (eth_ioctl(fd, hi->name, s) < 0 && errno != ENODEV)
		warnmsg("%s: could not restore offload features: %s", hi->name, strerror(errno));
	free(s);
	close(fd);
}

#else	/* !__linux__ */

int hostprep_offloads_check(const char *ifname, char *names, size_t cap, char err[HOSTPREP_ERRLEN])
{
	(void)names; (void)cap;
	snprintf(err, HOSTPREP_ERRLEN, "%s: offload control needs Linux", ifname);
	return -1;
}

void hostprep_offloads_cmd(const char *ifname, char *buf, size_t cap)
{
	snprintf(buf, cap, "(turn off LRO/TSO on %s with ifconfig)", ifname);
}

int hostprep_offloads_off(struct hostprep *hp, const char *ifname, char err[HOSTPREP_ERRLEN])
{
	(void)hp;
	return hostprep_offloads_check(ifname, NULL, 0, err);
}

static void offloads_restore(const struct hostprep_if *hi) { (void)hi; }

#endif

/* Run nft with `script` on its stdin (NULL: none) and extra args; its stdout
 * goes to `out` (NULL: /dev/null), stderr to `errbuf`.  Returns the exit
 * status, 127 when nft is missing, -1 when it could not be run. */
static int run_nft(const char *const *args, const char *script, char *out, size_t outcap,
		   char *errbuf, size_t errcap)
{
	int in[2], o[2], e[2], status;
	pid_t pid;
	const char *argv[8] = { "nft" };
	size_t na = 1, olen = 0, elen = 0;

	for (; args && *args && na < 7; args++)
		argv[na++] = *args;
	argv[na] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		execvp("nft", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	if (script) {
		size_t len = strlen(script), off = 0;

		signal(SIGPIPE, SIG_IGN);
		while (off < len) {
			ssize_t w = write(in[1], script + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	close(in[1]);
	for (;;) {	/* nft's outputs are small; read stdout then stderr */
		char tmp[4096];
		ssize_t r = read(o[0], tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && olen + 1 < outcap) {
			size_t k = (size_t)r < outcap - 1 - olen ? (size_t)r : outcap - 1 - olen;

			memcpy(out + olen, tmp, k);
			olen += k;
		}
	}
	for (;;) {
		char tmp[1024];
		ssize_t r = read(e[0], tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (errbuf && elen + 1 < errcap) {
			size_t k = (size_t)r < errcap - 1 - elen ? (size_t)r : errcap - 1 - elen;

			memcpy(errbuf + elen, tmp, k);
			elen += k;
		}
	}
	if (out && outcap)
		out[olen] = 0;
	if (errbuf && errcap)
		errbuf[elen] = 0;
	close(o[0]);
	close(e[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int hostprep_nft_table(struct hostprep *hp, const char *name, const char *body,
		       char err[HOSTPREP_ERRLEN])
{
	static const char *const args[] = { "-f", "-", NULL };
	size_t cap = strlen(body) + 3 * strlen(name) + 128;
	char *script = xmalloc(cap), msg[160];
	int rc;

	/* "add" then "delete" first: a table of the same name left by a killed
	 * run of ours (same PID after a reboot) is replaced, in one transaction. */
	snprintf(script, cap, "add table inet %s\ndelete table inet %s\ntable inet %s {\n%s}\n",
		 name, name, name, body);
	rc = run_nft(args, script, NULL, 0, msg, sizeof(msg));
	free(script);
	if (rc == 127) {
		snprintf(err, HOSTPREP_ERRLEN, "nft(8) not found: install nftables (needed by --manage-host)");
		return -1;
	}
	if (rc != 0) {
		msg[strcspn(msg, "\n")] = 0;
		snprintf(err, HOSTPREP_ERRLEN, "nft refused the RST filter table: %s", rc < 0 ? "cannot run" : msg);
		return -1;
	}
	snprintf(hp->nft_table, sizeof(hp->nft_table), "%s", name);
	return 0;
}

int hostprep_nft_drops_rst(char why[HOSTPREP_ERRLEN])
{
	static const char *const args[] = { "list", "ruleset", NULL };
	size_t cap = 1 << 20;
	char *out = xmalloc(cap), *line, *save = NULL, msg[160] = "";
	int rc = run_nft(args, NULL, out, cap, msg, sizeof(msg)), found = 0;

	if (rc != 0) {
		free(out);
		msg[strcspn(msg, "\n")] = 0;
		if (rc == 127)
			snprintf(why, HOSTPREP_ERRLEN, "nft(8) not found: install nftables");
		else if (geteuid() != 0 && (strstr(msg, "ermission") || strstr(msg, "not permitted")))
			snprintf(why, HOSTPREP_ERRLEN, "nft list ruleset is not permitted (need root or CAP_NET_ADMIN)");
		else
			snprintf(why, HOSTPREP_ERRLEN, "nft list ruleset: %s", rc < 0 ? "cannot run" : msg);
		return -1;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "rst") && strstr(line, "drop"))
			found = 1;
	free(out);
	return found;
}

static void restore_now(struct hostprep *hp)
{
	if (hp->restored)
		return;
	hp->restored = true;
	for (unsigned i = 0; i < hp->n_if; i++)
		offloads_restore(&hp->ifs[i]);
	if (hp->nft_table[0]) {
		char cmd[128], msg[256];
		const char *args[] = { "-f", "-", NULL };

		snprintf(cmd, sizeof(cmd), "delete table inet %s\n", hp->nft_table);
		if (run_nft(args, cmd, NULL, 0, msg, sizeof(msg)) != 0)
			warnmsg("could not delete nftables table inet %s: %s", hp->nft_table, msg);
	}
}

void hostprep_restore(struct hostprep *hp)
{
	if (hp->keeper > 0) {
		int status;

		close(hp->keeper_fd);
		hp->keeper_fd = -1;
		while (waitpid(hp->keeper, &status, 0) < 0 && errno == EINTR)
			;
		hp->keeper = 0;
		hp->restored = true;
		return;
	}
	restore_now(hp);
}

int hostprep_keeper(struct hostprep *hp, char err[HOSTPREP_ERRLEN])
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, HOSTPREP_ERRLEN, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, HOSTPREP_ERRLEN, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };
		char c;
		int null = open("/dev/null", O_RDWR);

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_IGN);
		close(p[1]);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);	/* stdout belongs to the applet's output */
		}
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		while (read(p[0], &c, 1) != 0 && (errno == EINTR || errno == EAGAIN))
			;
		restore_now(hp);
		_exit(0);
	}
	close(p[0]);
	hp->keeper = pid;
	hp->keeper_fd = p[1];
	return 0;
}
