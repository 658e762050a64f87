/* hostprep.h - host preparation for the packet front ends, undone on exit:
 * receive/segmentation offloads (GRO, LRO, GSO, TSO) switched off through the
 * ethtool ioctl (SIOCETHTOOL: the kernel's feature names from ETH_SS_FEATURES
 * via ETHTOOL_GSSET_INFO/GSTRINGS, matched by pattern; ETHTOOL_GFEATURES/SFEATURES),
 * and kernel TCP RSTs suppressed by an nftables table of our own, loaded with
 * `nft -f -` (the nft(8) binary from the nftables package is required; no
 * other table or rule is touched).
 *
 * Why: GRO/LRO hand the capture merged super-segments instead of the packets
 * on the wire, GSO/TSO let a co-located back end send 64 KiB "segments"; and
 * a kernel that sees TCP to a port with no socket answers with a RST that
 * would kill the client's (or the back end's) connection.
 *
 * Restoring is exact: each feature we change goes back to its previous
 * requested value, the table is deleted.  hostprep_keeper() forks a small
 * process that keeps root, ignores terminal signals, and restores the host
 * when the caller exits by any means (SIGKILL and --user included) -- it
 * notices through the end-of-file of a pipe only the caller holds.
 */
#ifndef V6_HOSTPREP_H
#define V6_HOSTPREP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HOSTPREP_ERRLEN 256
#define HOSTPREP_MAX_IF 4
#define HOSTPREP_MAX_FEAT 32

struct hostprep_if {
	char name[16];
	unsigned n;				/* features we changed */
	unsigned blocks;			/* feature words of the device (SFEATURES wants them all) */
	unsigned idx[HOSTPREP_MAX_FEAT];	/* their bit numbers */
	bool was_requested[HOSTPREP_MAX_FEAT];	/* their previous requested state */
};

struct hostprep {
	struct hostprep_if ifs[HOSTPREP_MAX_IF];
	unsigned n_if;
	char nft_table[64];		/* "inet NAME" once created, "" otherwise */
	pid_t keeper;			/* > 0 while a keeper restores for us */
	int keeper_fd;
	bool restored;
};

void hostprep_init(struct hostprep *hp);

/* Is the kernel feature `name` one that must be off: tx-tcp*-segmentation,
 * tx-generic-segmentation, rx-gro*, rx-lro? */
bool hostprep_offload_wanted_off(const char *name);

/* Offload features that must be off and are on: their names, comma
 * separated, into `names` (for messages).  Returns how many are on (0 = good)
 * or -1 with err (no such interface, ioctl refused). */
int hostprep_offloads_check(const char *ifname, char *names, size_t cap, char err[HOSTPREP_ERRLEN]);

/* Switch them off, remembering each previous value.  0, or -1 with err
 * (a feature that is on cannot be changed: "fixed" by the driver). */
int hostprep_offloads_off(struct hostprep *hp, const char *ifname, char err[HOSTPREP_ERRLEN]);

/* The `ethtool -K` command that turns them off by hand. */
void hostprep_offloads_cmd(const char *ifname, char *buf, size_t cap);

/* Create table `inet NAME` from `body` (the text inside "table inet NAME { }")
 * with `nft -f -`.  0, or -1 with err (nft missing, rules refused). */
int hostprep_nft_table(struct hostprep *hp, const char *name, const char *body,
		       char err[HOSTPREP_ERRLEN]);

/* Does the current ruleset (nft list ruleset) drop outgoing TCP RSTs anywhere?
 * 1 yes, 0 no, -1 cannot tell: `why` says why (nft missing, not permitted). */
int hostprep_nft_drops_rst(char why[HOSTPREP_ERRLEN]);

/* Undo everything (idempotent).  With a keeper running, this only hands
 * the job over to it and waits for it to finish. */
void hostprep_restore(struct hostprep *hp);

/* Fork the keeper described above.  0, or -1 with err. */
int hostprep_keeper(struct hostprep *hp, char err[HOSTPREP_ERRLEN]);

#endif
