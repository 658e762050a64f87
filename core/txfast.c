/* txfast.c - fast frame transmission: an AF_XDP socket in copy mode, a
 * PACKET_MMAP TX ring (TPACKET_V2 with a virtio-net header) or sendmmsg(2)
 * batches on AF_PACKET, PACKET_QDISC_BYPASS, ENOBUFS/EAGAIN retries; core/pio
 * senders as fallback. */
#include "txfast.h"
#include "cursor.h"
#include "netlink.h"
#include "pio.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#define TXF_HAVE_LINUX 1
#if defined(__has_include)
#if __has_include(<linux/if_xdp.h>)
#include <linux/if_xdp.h>
#define TXF_HAVE_XDP 1
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif
#endif
#endif
#endif

#define TXF_ARENA	(1u << 20)	/* octets of frames per sendmmsg batch */
#define RING_BLOCK	(1u << 16)
#define RING_BLOCKS	64u
#define RING_KICK	256u		/* frames filled between kicks */
#define STALL_NS	2000000000ull	/* a ring slot busy this long: give up on it */

struct txfast {
	enum txfast_method method;
	int fd;				/* TXF_RING / TXF_MMSG */
	int plain_fd;			/* TXF_RING: frames the ring cannot take */
	bool bypass;
	struct pio_tx *pio;		/* TXF_PACKET / TXF_PCAP */
	volatile sig_atomic_t abort;
	struct txfast_stats st;
	char ifname[IF_NAMESIZE + 1];
	unsigned flags;

	/* TXF_RING */
	uint8_t *ring;
	size_t ring_len;
	unsigned frame_size, frame_nr;
	unsigned max_len;		/* largest frame the ring takes (MTU + link header) */
	unsigned fill;			/* next slot to fill */
	unsigned oldest;		/* oldest slot handed over and not yet seen processed */
	unsigned npend;			/* slots from `oldest` handed over (SEND_REQUEST or later) */
	unsigned unkicked;

	/* TXF_XDP: frames live in `umem`, one chunk each; the kernel
	 * consumes descriptors from the TX ring and returns each chunk on
	 * the completion ring once the driver has freed the frame. */
	uint8_t *umem;
	size_t umem_len;
	void *xtx_map, *xcq_map;
	size_t xtx_len, xcq_len;
	uint32_t *xtx_prod, *xtx_cons, *xcq_prod, *xcq_cons;
	void *xtx_desc;			/* struct xdp_desc[xnr] */
	const uint64_t *xcq_addr;	/* [xnr] */
	uint32_t xnr, xchunk;		/* ring entries = chunks, chunk size */
	uint32_t xhead;			/* descriptors produced */
	uint32_t xcq_head;		/* completions consumed */
	unsigned xinflight;		/* produced, completion not seen */
	unsigned xdrop_owed;		/* dropped frames whose completion is not seen */
	uint8_t *xbusy;			/* per chunk: in the kernel's hands */
	uint16_t *xlen;			/* per chunk: frame length */

	/* TXF_MMSG batch */
	unsigned n;
	uint8_t *arena;
	struct wcur aw;
	size_t len[TXF_BATCH];
	size_t off[TXF_BATCH];
#ifdef TXF_HAVE_LINUX
	struct mmsghdr msg[TXF_BATCH];
	struct iovec iov[TXF_BATCH];
#endif
};

static const char *const method_names[] = { "auto", "ring", "mmsg", "packet", "pcap", "xdp" };

const char *txfast_method_name(enum txfast_method m)
{
	return (unsigned)m < V6_ARRAY_LEN(method_names) ? method_names[m] : "?";
}

int txfast_method_parse(const char *s)
{
	for (unsigned i = 0; i < V6_ARRAY_LEN(method_names); i++)
		if (!strcmp(s, method_names[i]))
			return (int)i;
	return -1;
}

enum txfast_method txfast_method(const struct txfast *t) { return t->method; }
bool txfast_bypass(const struct txfast *t) { return t->bypass; }
unsigned txfast_pending(const struct txfast *t) { return t->n + t->unkicked; }
void txfast_abort(struct txfast *t) { t->abort = 1; }

void txfast_stats(const struct txfast *t, struct txfast_stats *s)
{
	*s = t->st;
}

static bool retryable(int e)
{
	return e == ENOBUFS || e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static unsigned fail_frame(struct txfast *t, int e)
{
	t->st.failed++;
	t->st.last_errno = e;
	return 1;
}

/* ENOBUFS from a link without carrier (a veth whose peer is down, a
 * cable out): the device drops every frame, so waiting is pointless. */
static bool no_carrier(const struct txfast *t, int e)
{
	struct nl_link l;

	return e == ENOBUFS && nl_link_get(t->ifname, 0, &l) == 0 && !(l.flags & IFF_RUNNING);
}

/* Wait a little for the socket (or device queue) to drain. */
static void wait_drain(int fd)
{
	struct timespec ts = { 0, 50000 };

	if (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		/* POLLOUT says the socket has room again; a full device
		 * queue (ENOBUFS) does not show there, so back off too. */
		poll(&pfd, 1, 1);
	}
	nanosleep(&ts, NULL);
}

static void drain_wait(struct txfast *t, int fd)
{
	t->st.retries++;
	wait_drain(fd);
}

bool txf_retry(struct txf_wait *w, int fd, int err)
{
	struct nl_link l;

	if (err == EINTR)
		return true;
	if (err != ENOBUFS && err != EAGAIN && err != EWOULDBLOCK)
		return false;
	if (++w->tries > TXF_RETRIES)
		return false;
	if (err == ENOBUFS && w->ifindex > 0 && nl_link_get(NULL, w->ifindex, &l) == 0 &&
	    !(l.flags & IFF_RUNNING))
		return false;
	w->waits++;
	wait_drain(fd);
	return true;
}

#ifdef TXF_HAVE_LINUX
/* A send-only AF_PACKET socket bound to ifname (protocol 0: nothing is
 * ever queued to it for reading). */
static int packet_socket(const char *ifname, char *err, size_t errlen, int *exit_code)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned ifindex = if_nametoindex(ifname);
	int fd, sndbuf = 4 << 20;

	if (!ifindex) {
		/* the same words as every other applet's missing interface */
		if (errno == ENODEV || errno == ENXIO)
			snprintf(err, errlen, "%s: no such interface", ifname);
		else
			snprintf(err, errlen, "interface %s: %s", ifname, strerror(errno));
		*exit_code = EXIT_RESOURCE;
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "AF_PACKET socket: %s%s", strerror(errno),
			 errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		*exit_code = EXIT_RESOURCE;
		return -1;
	}
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "bind to %s: %s", ifname, strerror(errno));
		*exit_code = EXIT_RESOURCE;
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return fd;
}

static bool set_bypass(int fd, unsigned flags)
{
	int one = 1;

	if (flags & TXF_NO_BYPASS)
		return false;
	return setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) == 0;
}

static int open_mmsg(struct txfast *t, char *err, size_t errlen, int *exit_code)
{
	t->fd = packet_socket(t->ifname, err, errlen, exit_code);
	if (t->fd < 0)
		return -1;
	t->bypass = set_bypass(t->fd, t->flags);
	for (unsigned i = 0; i < TXF_BATCH; i++) {
		t->msg[i].msg_hdr.msg_iov = &t->iov[i];
		t->msg[i].msg_hdr.msg_iovlen = 1;
	}
	t->arena = xmalloc(TXF_ARENA);
	wcur_init(&t->aw, t->arena, TXF_ARENA);
	return 0;
}

/* Data of a ring slot starts after the aligned tpacket2_hdr (no
 * PACKET_TX_HAS_OFF); the kernel leaves the sockaddr_ll space unused. */
#define RING_DATA_OFF	(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

static struct tpacket2_hdr *slot_hdr(const struct txfast *t, unsigned i)
{
	return (struct tpacket2_hdr *)(void *)(t->ring + (size_t)i * t->frame_size);
}

static uint8_t *slot_data(const struct txfast *t, unsigned i)
{
	return t->ring + (size_t)i * t->frame_size + RING_DATA_OFF;
}

static unsigned slot_status(const struct txfast *t, unsigned i)
{
	return __atomic_load_n(&slot_hdr(t, i)->tp_status, __ATOMIC_ACQUIRE);
}

static int open_ring(struct txfast *t, char *err, size_t errlen, int *exit_code)
{
	int version = TPACKET_V2, one = 1, fd;
	struct tpacket_req req = { 0 };
	struct nl_link l;
	unsigned mtu = 1500;
	struct timeval tmo = { 1, 0 };

	fd = packet_socket(t->ifname, err, errlen, exit_code);
	if (fd < 0)
		return -1;
	if (nl_link_get(t->ifname, 0, &l) == 0 && l.mtu > 0)
		mtu = l.mtu;
	/* Frame slots: a power of two that holds header + vnet header + an
	 * MTU-sized Ethernet frame with a VLAN tag. */
	t->frame_size = 2048;
	while (t->frame_size < RING_DATA_OFF + sizeof(struct virtio_net_hdr) + mtu + 18)
		t->frame_size *= 2;
	if (t->frame_size > RING_BLOCK) {
		snprintf(err, errlen, "MTU %u too large for the TX ring", mtu);
		goto fail;
	}
	t->max_len = mtu + ETH_HLEN;
	req.tp_block_size = RING_BLOCK;
	req.tp_block_nr = RING_BLOCKS;
	req.tp_frame_size = t->frame_size;
	req.tp_frame_nr = RING_BLOCK / t->frame_size * RING_BLOCKS;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "TPACKET_V2 with virtio-net header: %s", strerror(errno));
		goto fail;
	}
	t->bypass = set_bypass(fd, t->flags);
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
		snprintf(err, errlen, "PACKET_TX_RING: %s", strerror(errno));
		goto fail;
	}
	t->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	t->ring = mmap(NULL, t->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t->ring == MAP_FAILED) {
		t->ring = NULL;
		snprintf(err, errlen, "mmap of the TX ring: %s", strerror(errno));
		goto fail;
	}
	/* The final blocking flush waits for completions at most this long. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	t->frame_nr = req.tp_frame_nr;
	t->fd = fd;
	t->fill = t->oldest = t->npend = t->unkicked = 0;
	/* Frames the ring does not take (oversized: the kernel would not
	 * check their size on this path) go through a plain socket, which
	 * reports EMSGSIZE like any other sender. */
	if (t->plain_fd < 0) {
		t->plain_fd = packet_socket(t->ifname, err, errlen, exit_code);
		if (t->plain_fd < 0)
			goto fail;
		set_bypass(t->plain_fd, t->flags);
	}
	return 0;
fail:
	if (t->ring)
		munmap(t->ring, t->ring_len);
	t->ring = NULL;
	close(fd);
	return -1;
}

static void close_ring(struct txfast *t)
{
	if (t->ring)
		munmap(t->ring, t->ring_len);
	t->ring = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Account for slots the kernel has taken (no longer SEND_REQUEST). */
static void ring_reap(struct txfast *t)
{
	while (t->npend) {
		unsigned s = slot_status(t, t->oldest);

		if (s & TP_STATUS_SEND_REQUEST)
			break;
		t->st.sent++;
		t->st.bytes += slot_hdr(t, t->oldest)->tp_len - sizeof(struct virtio_net_hdr);
		t->oldest = (t->oldest + 1) % t->frame_nr;
		t->npend--;
	}
}

/* A send error that is not about room (interface down, gone): the frames
 * still waiting are lost; count them and start over with a fresh ring, so
 * that the kernel's ring position and ours agree again. */
static unsigned ring_reset(struct txfast *t, int e)
{
	unsigned failed = 0;
	char err[128];
	int code;

	ring_reap(t);
	while (t->npend) {
		failed += fail_frame(t, e);
		t->oldest = (t->oldest + 1) % t->frame_nr;
		t->npend--;
	}
	t->unkicked = 0;
	close_ring(t);
	if (open_ring(t, err, sizeof(err), &code) < 0) {
		/* Keep going without the ring. */
		warnmsg("TX ring lost (%s); continuing with sendmmsg", err);
		t->method = TXF_MMSG;
		if (open_mmsg(t, err, sizeof(err), &code) < 0)
			errmsg("no packet socket either (%s): every further frame fails", err);
	}
	return failed;
}

/* Ask the kernel to send every SEND_REQUEST slot.  `wait`: block until
 * all of them completed (end of run). */
static unsigned ring_kick(struct txfast *t, bool wait)
{
	unsigned failed = 0, tries = 0;

	while (t->npend) {
		ssize_t r = send(t->fd, NULL, 0, wait ? 0 : MSG_DONTWAIT);
		int e = r < 0 ? errno : 0;

		t->st.calls++;
		ring_reap(t);
		if (e == ENOBUFS) {
			/* The device (or qdisc) refused the frame at the
			 * head; the kernel put it back in the ring (status
			 * SEND_REQUEST) to be tried again. */
			if (no_carrier(t, e) || ++tries > TXF_RETRIES || t->abort)
				return failed + ring_reset(t, e);
			drain_wait(t, t->fd);
			continue;
		}
		if (!t->npend)
			break;
		/* Some frames are still waiting: no room in the socket's
		 * send buffer (the kernel stops quietly), or an error. */
		if (e && !retryable(e))
			return failed + ring_reset(t, e);
		if (++tries > TXF_RETRIES || t->abort)
			return failed + ring_reset(t, e ? e : EAGAIN);
		if (e != EINTR)
			drain_wait(t, t->fd);
	}
	t->unkicked = 0;
	return failed;
}

static unsigned ring_queue(struct txfast *t, const void *frame, size_t len)
{
	struct tpacket2_hdr *h;
	struct virtio_net_hdr vh = { .flags = 0, .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	unsigned failed = 0;
	uint64_t t0 = 0;
	struct wcur w;

	while (slot_status(t, t->fill) != TP_STATUS_AVAILABLE) {
		struct timespec now;

		/* The slot is still in flight: hand over what is filled,
		 * then wait for the kernel to release slots. */
		if (t->unkicked)
			failed += ring_kick(t, false);
		if (t->method != TXF_RING)
			return failed + txfast_queue(t, frame, len);
		if (slot_status(t, t->fill) == TP_STATUS_AVAILABLE)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!t0)
			t0 = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		else if ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - t0 > STALL_NS ||
			 t->abort)
			return failed + ring_reset(t, ETIMEDOUT) + fail_frame(t, ETIMEDOUT);
		drain_wait(t, t->fd);
	}
	h = slot_hdr(t, t->fill);
	vh.hdr_len = (uint16_t)len;	/* copy the whole frame into the skb */
	wcur_init(&w, slot_data(t, t->fill), t->frame_size - RING_DATA_OFF);
	wcur_bytes(&w, &vh, sizeof(vh));
	wcur_bytes(&w, frame, len);
	h->tp_len = (uint32_t)(len + sizeof(vh));
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	t->fill = (t->fill + 1) % t->frame_nr;
	t->npend++;
	if (++t->unkicked >= RING_KICK)
		failed += ring_kick(t, false);
	return failed;
}

#ifdef TXF_HAVE_XDP
/* AF_XDP in copy mode.  The descriptor ring and the completion ring are
 * shared with the kernel (single producer, single consumer each); the
 * kernel takes at most a few dozen frames per sendto(2) and says EAGAIN
 * when more remain.  A frame the driver drops (NET_XMIT_DROP) ends the
 * call with EBUSY and still comes back on the completion ring; it is
 * counted as failed (ENOBUFS, as the other senders report it). */
#define XDP_FRAMES	2048u		/* chunks, and entries of both rings */

static void close_xdp(struct txfast *t)
{
	if (t->xtx_map)
		munmap(t->xtx_map, t->xtx_len);
	if (t->xcq_map)
		munmap(t->xcq_map, t->xcq_len);
	if (t->fd >= 0)
		close(t->fd);
	if (t->umem)
		munmap(t->umem, t->umem_len);
	free(t->xbusy);
	free(t->xlen);
	t->xtx_map = t->xcq_map = NULL;
	t->umem = t->xbusy = NULL;
	t->xlen = NULL;
	t->fd = -1;
}

static int open_xdp(struct txfast *t, char *err, size_t errlen)
{
	struct xdp_mmap_offsets off;
	struct xdp_umem_reg mr = { 0 };
	struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_COPY };
	socklen_t olen = sizeof(off);
	int nr = XDP_FRAMES, sndbuf = 4 << 20;
	unsigned budget = RING_KICK;
	struct nl_link l;
	uint32_t mtu;

	if (t->flags & TXF_NO_BYPASS) {
		snprintf(err, errlen, "AF_XDP always bypasses the qdisc");
		return -1;
	}
	if (nl_link_get(t->ifname, 0, &l) < 0) {
		snprintf(err, errlen, "%s", nl_error());
		return -1;
	}
	mtu = l.mtu ? l.mtu : 1500;
	t->xchunk = mtu + 18 <= 2048 ? 2048 : 4096;
	t->max_len = mtu + ETH_HLEN < t->xchunk ? mtu + ETH_HLEN : t->xchunk;
	t->xnr = XDP_FRAMES;
	t->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		snprintf(err, errlen, "AF_XDP socket: %s", strerror(errno));
		return -1;
	}
	t->umem_len = (size_t)t->xnr * t->xchunk;
	t->umem = mmap(NULL, t->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->umem == MAP_FAILED) {
		t->umem = NULL;
		snprintf(err, errlen, "AF_XDP frame area: %s", strerror(errno));
		goto fail;
	}
	mr.addr = (uint64_t)(uintptr_t)t->umem;
	mr.len = t->umem_len;
	mr.chunk_size = t->xchunk;
	if (setsockopt(t->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) < 0 ||
	    setsockopt(t->fd, SOL_XDP, XDP_UMEM_FILL_RING, &nr, sizeof(nr)) < 0 ||
	    setsockopt(t->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &nr, sizeof(nr)) < 0 ||
	    setsockopt(t->fd, SOL_XDP, XDP_TX_RING, &nr, sizeof(nr)) < 0 ||
	    getsockopt(t->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &olen) < 0) {
		snprintf(err, errlen, "AF_XDP rings: %s", strerror(errno));
		goto fail;
	}
	t->xtx_len = off.tx.desc + (size_t)t->xnr * sizeof(struct xdp_desc);
	t->xcq_len = off.cr.desc + (size_t)t->xnr * sizeof(uint64_t);
	t->xtx_map = mmap(NULL, t->xtx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  t->fd, XDP_PGOFF_TX_RING);
	if (t->xtx_map == MAP_FAILED)
		t->xtx_map = NULL;
	t->xcq_map = mmap(NULL, t->xcq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  t->fd, (off_t)XDP_UMEM_PGOFF_COMPLETION_RING);
	if (t->xcq_map == MAP_FAILED)
		t->xcq_map = NULL;
	if (!t->xtx_map || !t->xcq_map) {
		snprintf(err, errlen, "mmap of the AF_XDP rings: %s", strerror(errno));
		goto fail;
	}
	t->xtx_prod = (uint32_t *)(void *)((uint8_t *)t->xtx_map + off.tx.producer);
	t->xtx_cons = (uint32_t *)(void *)((uint8_t *)t->xtx_map + off.tx.consumer);
	t->xtx_desc = (uint8_t *)t->xtx_map + off.tx.desc;
	t->xcq_prod = (uint32_t *)(void *)((uint8_t *)t->xcq_map + off.cr.producer);
	t->xcq_cons = (uint32_t *)(void *)((uint8_t *)t->xcq_map + off.cr.consumer);
	t->xcq_addr = (const uint64_t *)(void *)((uint8_t *)t->xcq_map + off.cr.desc);
	sx.sxdp_ifindex = (uint32_t)l.ifindex;
	sx.sxdp_queue_id = 0;
	/* EBUSY: another AF_XDP socket holds queue 0, or one just closed
	 * (the kernel lets go of the queue a moment after close). */
	for (unsigned i = 0; bind(t->fd, (struct sockaddr *)&sx, sizeof(sx)) < 0; i++) {
		struct timespec ms = { 0, 1000000 };

		if (errno != EBUSY || i >= 200) {
			snprintf(err, errlen, "AF_XDP bind to %s queue 0: %s", t->ifname,
				 strerror(errno));
			goto fail;
		}
		nanosleep(&ms, NULL);
	}
	/* More frames per sendto() than the default 32 (Linux 6.17+). */
	setsockopt(t->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget));
	if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	t->xbusy = xcalloc(t->xnr, 1);
	t->xlen = xcalloc(t->xnr, sizeof(*t->xlen));
	t->xhead = t->xcq_head = 0;
	t->xinflight = t->xdrop_owed = t->unkicked = 0;
	t->bypass = true;
	return 0;
fail:
	close_xdp(t);
	return -1;
}

/* Take what the completion ring returned: frames the driver is done with. */
static void xdp_reap(struct txfast *t)
{
	uint32_t prod = __atomic_load_n(t->xcq_prod, __ATOMIC_ACQUIRE);

	for (; t->xcq_head != prod; t->xcq_head++) {
		uint64_t a = t->xcq_addr[t->xcq_head & (t->xnr - 1)];
		uint32_t c = (uint32_t)(a / t->xchunk);

		if (c >= t->xnr || !t->xbusy[c])
			continue;	/* not ours: cannot happen */
		t->xbusy[c] = 0;
		t->xinflight--;
		if (t->xdrop_owed) {
			/* A frame the driver dropped comes back too; it
			 * was counted as failed when sendto() said EBUSY.
			 * The counts are exact; the octets not counted are
			 * those of whichever frame came back first. */
			t->xdrop_owed--;
			continue;
		}
		t->st.sent++;
		t->st.bytes += t->xlen[c];
	}
	__atomic_store_n(t->xcq_cons, t->xcq_head, __ATOMIC_RELEASE);
}

/* A refusal that is not about room: the frames still in the ring are
 * lost; count them and go on with the TX ring (or sendmmsg). */
static unsigned xdp_reset(struct txfast *t, int e)
{
	unsigned failed = 0;
	char err[256];
	int code;

	xdp_reap(t);
	for (; t->xinflight; t->xinflight--)
		failed += fail_frame(t, e);
	t->unkicked = 0;
	close_xdp(t);
	if (open_ring(t, err, sizeof(err), &code) == 0) {
		warnmsg("AF_XDP send failed (%s); continuing with the TX ring", strerror(e));
		t->method = TXF_RING;
	} else {
		warnmsg("AF_XDP send failed (%s); continuing with sendmmsg", strerror(e));
		t->method = TXF_MMSG;
		if (open_mmsg(t, err, sizeof(err), &code) < 0)
			errmsg("no packet socket either (%s): every further frame fails", err);
	}
	return failed;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Have the kernel take every descriptor produced.  A call that returns
 * without EAGAIN or EBUSY found the TX ring empty.  No progress (nothing
 * taken, nothing returned) for STALL_NS: give up on the frames. */
static unsigned xdp_kick(struct txfast *t)
{
	unsigned failed = 0, idle = 0;
	uint64_t since = 0;

	for (;;) {
		uint32_t cons = __atomic_load_n(t->xtx_cons, __ATOMIC_ACQUIRE);
		unsigned before = t->xinflight;
		ssize_t r = sendto(t->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		int e = r < 0 ? errno : 0;

		t->st.calls++;
		if (e == EBUSY)
			t->xdrop_owed++;
		xdp_reap(t);
		if (!e)
			break;
		if (e == EBUSY) {
			failed += fail_frame(t, ENOBUFS);
			idle = 0;
			continue;
		}
		if (!retryable(e))
			return failed + xdp_reset(t, e);
		if (t->xinflight < before || e == EINTR ||
		    __atomic_load_n(t->xtx_cons, __ATOMIC_ACQUIRE) != cons) {
			idle = 0;
			continue;
		}
		/* EAGAIN and no progress: the driver holds the frames, or
		 * the socket's send buffer is full.  Wait for it. */
		if (!idle++)
			since = mono_ns();
		else if (mono_ns() - since > STALL_NS || t->abort)
			return failed + xdp_reset(t, e);
		if (idle > 1)
			drain_wait(t, -1);
	}
	t->unkicked = 0;
	return failed;
}

static unsigned xdp_queue(struct txfast *t, const void *frame, size_t len)
{
	struct xdp_desc *d;
	struct wcur w;
	unsigned failed = 0;
	uint64_t since = 0;
	uint32_t c = t->xhead & (t->xnr - 1);

	while (t->xbusy[c]) {
		/* The chunk is still with the kernel: hand over what is
		 * filled and take back what the driver released. */
		if (t->unkicked)
			failed += xdp_kick(t);
		if (t->method != TXF_XDP)
			return failed + txfast_queue(t, frame, len);
		xdp_reap(t);
		if (!t->xbusy[c])
			break;
		if (!since)
			since = mono_ns();
		else if (mono_ns() - since > STALL_NS || t->abort)
			return failed + xdp_reset(t, ETIMEDOUT) + txfast_queue(t, frame, len);
		drain_wait(t, -1);
	}
	wcur_init(&w, t->umem + (size_t)c * t->xchunk, t->xchunk);
	wcur_bytes(&w, frame, len);
	d = (struct xdp_desc *)t->xtx_desc + c;
	d->addr = (uint64_t)c * t->xchunk;
	d->len = (uint32_t)len;
	d->options = 0;
	t->xlen[c] = (uint16_t)len;
	t->xbusy[c] = 1;
	t->xinflight++;
	t->xhead++;
	__atomic_store_n(t->xtx_prod, t->xhead, __ATOMIC_RELEASE);
	if (++t->unkicked >= RING_KICK)
		failed += xdp_kick(t);
	return failed;
}

/* End of run: everything handed over, then wait (at most STALL_NS) for
 * the driver to return the frames; what it still holds went out. */
static unsigned xdp_close(struct txfast *t)
{
	unsigned failed = t->method == TXF_XDP ? xdp_kick(t) : 0;
	struct timespec ts = { 0, 20000 };

	for (unsigned i = 0; t->method == TXF_XDP && t->xinflight > t->xdrop_owed &&
	     i < STALL_NS / 20000 && !t->abort; i++) {
		nanosleep(&ts, NULL);
		xdp_reap(t);
	}
	if (t->method == TXF_XDP) {
		unsigned left = t->xinflight > t->xdrop_owed ? t->xinflight - t->xdrop_owed : 0;

		for (unsigned c = 0; c < t->xnr && left; c++)
			if (t->xbusy[c]) {
				left--;
				t->st.sent++;
				t->st.bytes += t->xlen[c];
			}
		close_xdp(t);
	}
	return failed;
}
#endif
#endif

struct txfast *txfast_open(const char *ifname, enum txfast_method m, unsigned flags,
			   char *err, size_t errlen, int *exit_code)
{
	struct txfast *t = xcalloc(1, sizeof(*t));

	t->fd = -1;
	t->plain_fd = -1;
	t->flags = flags;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
#ifdef TXF_HAVE_XDP
	if (m == TXF_AUTO || m == TXF_XDP) {
		char xerr[256];
		int code = EXIT_RESOURCE;

		/* The plain socket takes the frames AF_XDP must not (over
		 * the MTU, shorter than a link header): the kernel checks
		 * and refuses them there. */
		t->plain_fd = packet_socket(ifname, xerr, sizeof(xerr), &code);
		if (t->plain_fd >= 0 && open_xdp(t, xerr, sizeof(xerr)) == 0) {
			set_bypass(t->plain_fd, flags);
			t->method = TXF_XDP;
			return t;
		}
		if (m == TXF_XDP && t->plain_fd >= 0)
			warnmsg("no AF_XDP socket (%s); using the TX ring", xerr);
		else
			debugmsg("no AF_XDP socket (%s)", xerr);
		m = m == TXF_XDP ? TXF_RING : m;
	}
#else
	if (m == TXF_XDP)
		m = TXF_RING;
#endif
#ifdef TXF_HAVE_LINUX
	if (m == TXF_AUTO || m == TXF_RING) {
		char rerr[256];

		if (open_ring(t, rerr, sizeof(rerr), exit_code) == 0) {
			t->method = TXF_RING;
			return t;
		}
		if (*exit_code == EXIT_RESOURCE && !if_nametoindex(ifname)) {
			snprintf(err, errlen, "%s", rerr);
			free(t);
			return NULL;
		}
		if (m == TXF_RING)
			warnmsg("no TX ring (%s); using sendmmsg", rerr);
		else
			debugmsg("no TX ring (%s); using sendmmsg", rerr);
		m = TXF_MMSG;
	}
#else
	if (m == TXF_AUTO || m == TXF_RING || m == TXF_MMSG)
		m = TXF_PCAP;
#endif
	t->method = m;
	if (m == TXF_MMSG) {
#ifdef TXF_HAVE_LINUX
		if (open_mmsg(t, err, errlen, exit_code) < 0) {
			free(t);
			return NULL;
		}
#endif
	} else {
		char perr[PIO_ERRLEN];

		t->pio = pio_try_tx_open(ifname, m == TXF_PACKET ? PIO_TX_PACKET : PIO_TX_PCAP,
					 perr, exit_code);
		if (!t->pio) {
			snprintf(err, errlen, "%s", perr);
			free(t);
			return NULL;
		}
	}
	return t;
}

/* One frame through pio or a plain socket, with retries. */
static unsigned send_one(struct txfast *t, int fd, const void *frame, size_t len)
{
	for (unsigned tries = 0;; tries++) {
		int e = 0;

		if (t->pio) {
			int r = pio_tx_send(t->pio, frame, len);
			e = r < 0 ? -r : 0;
		} else if (send(fd, frame, len, 0) < 0) {
			e = errno;
		}
		if (!e) {
			t->st.sent++;
			t->st.bytes += len;
			t->st.calls++;
			return 0;
		}
		if (!retryable(e) || tries >= TXF_RETRIES || t->abort || no_carrier(t, e))
			return fail_frame(t, e);
		if (e != EINTR)
			drain_wait(t, fd);
	}
}

unsigned txfast_flush(struct txfast *t)
{
	unsigned failed = 0;

#ifdef TXF_HAVE_XDP
	if (t->method == TXF_XDP)
		return t->unkicked ? xdp_kick(t) : 0;
#endif
#ifdef TXF_HAVE_LINUX
	if (t->method == TXF_RING)
		return t->unkicked ? ring_kick(t, false) : 0;
	if (!t->n)
		return 0;

	unsigned i = 0, tries = 0;

	for (unsigned k = 0; k < t->n; k++) {
		t->iov[k].iov_base = t->arena + t->off[k];
		t->iov[k].iov_len = t->len[k];
	}
	while (i < t->n) {
		int r = sendmmsg(t->fd, &t->msg[i], t->n - i, 0);

		if (r > 0) {
			for (int k = 0; k < r; k++)
				t->st.bytes += t->len[i + (unsigned)k];
			t->st.sent += (unsigned)r;
			t->st.calls++;
			i += (unsigned)r;
			tries = 0;
			continue;
		}
		/* Frame i was refused: retry it, or count it and go on. */
		int e = r < 0 ? errno : EIO;

		if (retryable(e) && tries < TXF_RETRIES && !t->abort && !no_carrier(t, e)) {
			if (e != EINTR)
				drain_wait(t, t->fd);
			tries++;
			continue;
		}
		failed += fail_frame(t, e);
		i++;
		tries = 0;
	}
	t->n = 0;
	wcur_init(&t->aw, t->arena, TXF_ARENA);
#endif
	return failed;
}

unsigned txfast_queue(struct txfast *t, const void *frame, size_t len)
{
	unsigned failed = 0;

#ifdef TXF_HAVE_XDP
	if (t->method == TXF_XDP) {
		if (len <= t->max_len && len >= ETH_HLEN)
			return xdp_queue(t, frame, len);
		failed = t->unkicked ? xdp_kick(t) : 0;
		return failed + send_one(t, t->plain_fd, frame, len);
	}
#endif
#ifdef TXF_HAVE_LINUX
	if (t->method == TXF_RING) {
		if (len <= t->max_len && len >= ETH_HLEN)
			return ring_queue(t, frame, len);
		/* Keep the order: what is in the ring goes first. */
		failed = t->unkicked ? ring_kick(t, false) : 0;
		return failed + send_one(t, t->plain_fd, frame, len);
	}
#endif
	if (t->method != TXF_MMSG)
		return send_one(t, t->fd, frame, len);
	if (!t->arena)		/* a fall-back whose socket could not be opened */
		return fail_frame(t, ENETDOWN);
	if (len > TXF_ARENA)		/* far beyond any MTU: the kernel says why */
		return txfast_flush(t) + send_one(t, t->fd, frame, len);
	if (t->n == TXF_BATCH || wcur_left(&t->aw) < len)
		failed = txfast_flush(t);
	t->off[t->n] = wcur_off(&t->aw);
	t->len[t->n] = len;
	wcur_bytes(&t->aw, frame, len);
	t->n++;
	if (t->n == TXF_BATCH)
		failed += txfast_flush(t);
	return failed;
}

unsigned txfast_close(struct txfast *t)
{
	unsigned failed;

	if (!t)
		return 0;
	failed = txfast_flush(t);
#ifdef TXF_HAVE_XDP
	if (t->method == TXF_XDP)
		failed += xdp_close(t);
#endif
#ifdef TXF_HAVE_LINUX
	if (t->method == TXF_RING && t->npend)
		failed += ring_kick(t, true);
	close_ring(t);
	if (t->plain_fd >= 0)
		close(t->plain_fd);
#endif
	if (t->fd >= 0)
		close(t->fd);
	if (t->pio)
		pio_tx_close(t->pio);
	free(t->arena);
	free(t);
	return failed;
}
