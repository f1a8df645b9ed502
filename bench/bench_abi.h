/* SPDX-License-Identifier: MIT */
/*
 * The contract between `vmm bench doorbell` (bench/bench_doorbell.c) and its
 * guest (guests/doorbell). The host writes the parameters into a mailbox in
 * guest RAM at LAYOUT_BENCH_MAILBOX before the vCPU starts; the guest runs
 * the measurements, writes its results and every timed sample behind the
 * header, and leaves through the debug-exit port; the host then reads the
 * mailbox back through gpa_ptr(). During the run the guest announces each
 * phase by writing a marker to a bench register (a KVM_EXIT_MMIO handled on
 * the vCPU thread), which is where the host samples the io thread's CPU
 * time. Everything the guest writes is validated by the host before use.
 *
 * Freestanding (<stdint.h> and the constants of arch/x86/layout.h): the
 * guest includes this header too. The bench's guest addresses live here,
 * not in the product's memory map.
 */
#ifndef VMM_BENCH_ABI_H
#define VMM_BENCH_ABI_H

#include <stdint.h>

#include "arch/x86/layout.h"

/* The mailbox (parameters in, samples out) at 16 MiB, above the image. */
#define LAYOUT_BENCH_MAILBOX 0x1000000ULL

/*
 * The echo device takes the last slot of those with GSI 16 + n: the bench
 * VM's own devices, numbered from slot 0, are fewer than that.
 */
#define LAYOUT_BENCH_VIRTIO_SLOT (LAYOUT_VIRTIO_HIGH_GSIS - 1)
#define LAYOUT_BENCH_VIRTIO_BASE                                               \
	(LAYOUT_VIRTIO_MMIO_BASE +                                             \
	 LAYOUT_BENCH_VIRTIO_SLOT * LAYOUT_VIRTIO_MMIO_SIZE)
#define LAYOUT_BENCH_VIRTIO_GSI                                                \
	(LAYOUT_VIRTIO_IRQ_BASE + LAYOUT_BENCH_VIRTIO_SLOT)
/* The bench's own registers (floor and exit doorbells, markers). */
#define LAYOUT_BENCH_REGS      0xd0010000ULL
#define LAYOUT_BENCH_REGS_SIZE 0x1000

#define BENCH_ABI_MAGIC	  0x6c6c6562 /* "bell" */
#define BENCH_ABI_VERSION 1

/* The measurements, in report order: the (a) to (d). */
enum bench_test {
	BENCH_TEST_POLL,  /* (a) doorbell -> used ring seen by polling */
	BENCH_TEST_IRQ,	  /* (b) doorbell -> guest interrupt handler */
	BENCH_TEST_FLOOR, /* (c) the same write to an unserved ioeventfd */
	BENCH_TEST_EXIT,  /* (d) doorbell as KVM_EXIT_MMIO, vCPU thread */
	BENCH_NR_TESTS,
};

/* The doorbell that tests (a) and (b) ring (--notify chooses it). */
enum bench_bell {
	/* virtio-mmio QueueNotify: the transport's KVM_IOEVENTFD */
	BENCH_BELL_NOTIFY,
	/* BENCH_REG_EPOLL: an ioeventfd the io thread waits for in epoll */
	BENCH_BELL_EPOLL,
	/* BENCH_REG_EXIT: no ioeventfd; served on the vCPU thread */
	BENCH_BELL_EXIT,
	BENCH_NR_BELLS,
};

/*
 * Registers at LAYOUT_BENCH_REGS, each written with one 32-bit store.
 * FLOOR and EPOLL are ioeventfds with datamatch (KVM never exits to us for
 * the matching value), EXIT and MARK exit to the vCPU thread.
 */
/* FLOOR: write BENCH_FLOOR_VALUE; nobody serves it. */
#define BENCH_REG_FLOOR 0x00
/* EXIT: write a queue index; served during the exit. */
#define BENCH_REG_EXIT 0x08
/* EPOLL: write BENCH_QUEUE_IO; the epoll doorbell. */
#define BENCH_REG_EPOLL 0x10
/* MARK: write BENCH_MARK(event, test). */
#define BENCH_REG_MARK	  0x18
#define BENCH_FLOOR_VALUE 0

/* The echo device's virtio device id: one that no guest driver knows. */
#define BENCH_VIRTIO_ID 0xffff

/* Queues of the echo device: (a)/(b) use the first, (d) the second. */
#define BENCH_QUEUE_IO	 0
#define BENCH_QUEUE_EXIT 1
#define BENCH_NR_QUEUES	 2

/* Phase markers written to BENCH_REG_MARK. */
enum bench_mark {
	BENCH_MARK_HELLO = 1,  /* the driver is up: pin the vCPU thread */
	BENCH_MARK_BEGIN,      /* timed iterations of test @arg start */
	BENCH_MARK_END,	       /* ... and end */
	BENCH_MARK_IDLE_BEGIN, /* the guest idles: no doorbells */
	BENCH_MARK_IDLE_END,
};
#define BENCH_MARK(event, arg) (((uint32_t)(event) << 8) | ((arg)&0xff))
#define BENCH_MARK_EVENT(v)    ((v) >> 8)
#define BENCH_MARK_ARG(v)      ((v)&0xff)

/* Where the guest's TSC frequency came from (bench_abi.tsc_source). */
#define BENCH_TSC_CPUID	  1 /* KVM leaf 0x40000010 */
#define BENCH_TSC_MAILBOX 2 /* the host's KVM_GET_TSC_KHZ */

/* Per-test counters, written by the guest. */
struct bench_abi_result {
	uint32_t samples;    /* timed samples stored */
	uint32_t timeouts;   /* round trips that never completed */
	uint32_t kicks;	     /* doorbell writes (some suppressed) */
	uint32_t stray_irqs; /* interrupts no round trip waited for */
};

struct bench_abi {
	/* Written by the host before the guest starts. */
	uint32_t magic;
	uint32_t version;
	uint32_t tsc_khz;    /* KVM_GET_TSC_KHZ; 0 if unknown */
	uint32_t tests;	     /* bit mask of 1 << enum bench_test */
	uint32_t iterations; /* timed samples per test, over all rounds */
	uint32_t warmup;     /* untimed iterations per test and round */
	uint32_t rounds;     /* the tests run interleaved, this many times */
	uint32_t idle_ms;    /* length of the idle phase at the end */
	uint32_t bell;	     /* enum bench_bell for tests (a) and (b) */
	uint32_t event_idx;  /* negotiate VIRTIO_F_EVENT_IDX */
	uint32_t suppress;   /* honour the device's kick suppression */
	uint32_t timeout_us; /* a round trip gives up after this */

	/* Written by the guest. */
	uint32_t status;     /* 0, or the guest's exit code */
	uint32_t tsc_source; /* BENCH_TSC_*: where tsc_khz_used came from */
	uint32_t tsc_khz_used;
	uint32_t features;  /* low 32 feature bits the driver accepted */
	uint64_t tsc_start; /* guest TSC when the guest started */
	uint64_t tsc_end;   /* ... and when it finished */
	struct bench_abi_result result[BENCH_NR_TESTS];
	char message[128]; /* NUL-terminated reason when status != 0 */
};

/* Largest iteration count the host offers (the mailbox stays < 1 GiB). */
#define BENCH_ABI_MAX_ITERATIONS 10000000u

/*
 * Sample arrays follow the header at BENCH_ABI_SAMPLES: for each test, its
 * round trips in TSC cycles (BENCH_SAMPLE_CYCLES), then the host's TSC
 * when the device took the request minus the guest's start of the round
 * trip (BENCH_SAMPLE_HOST; 0 where no host timestamp exists), each
 * @iterations 64-bit words long.
 */
#define BENCH_ABI_SAMPLES   4096
#define BENCH_SAMPLE_CYCLES 0
#define BENCH_SAMPLE_HOST   1

_Static_assert(sizeof(struct bench_abi) <= BENCH_ABI_SAMPLES,
	       "bench_abi header overlaps the samples");

/* Offset of sample array @which of @test from the mailbox start. */
static inline uint64_t bench_abi_samples_off(uint32_t iterations,
					     unsigned int test,
					     unsigned int which)
{
	return BENCH_ABI_SAMPLES +
	       ((uint64_t)test * 2 + which) * iterations * sizeof(uint64_t);
}

/* Bytes of the whole mailbox for @iterations samples per test. */
static inline uint64_t bench_abi_size(uint32_t iterations)
{
	return bench_abi_samples_off(iterations, BENCH_NR_TESTS, 0);
}

#endif /* VMM_BENCH_ABI_H */
