/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waiting in tests: iterate the thread-default main context until something
 * happens, with a deadline, and fail the test naming what never came.
 *
 *   esim_test_wait_until (res != NULL, "the answer to GET EID");
 *   esim_test_wait_until_ms (2000, n_events >= 3, "%u events", 3);
 *   esim_test_wait_until_func (0, log_has, &wait, "the log to say \"%s\"", wait.text);
 *
 * On expiry the test aborts with "timed out after N s waiting for <what>"
 * (as a failed g_assert does; the message names the caller's file and line).
 * A timeout source wakes the context every ESIM_TEST_WAIT_TICK_MS, so the
 * condition and the deadline are checked even when no event arrives: a
 * condition may read a file, a property or a counter another process changes.
 *
 * Deadlines: a timeout of 0 means ESIM_TEST_WAIT_DEFAULT_MS, well under the
 * meson test timeouts.  Every deadline (not the spins) is multiplied by
 * $ESIM_TEST_WAIT_SCALE (a positive number, default 1) for slow machines and
 * valgrind; raise meson's own with `meson test -t` likewise.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_TEST_WAIT_DEFAULT_MS 10000
#define ESIM_TEST_WAIT_TICK_MS    20

typedef gboolean (*EsimTestWaitCondition) (gpointer user_data);
typedef struct _EsimTestWait EsimTestWait;

/* @timeout_ms (0: the default) times $ESIM_TEST_WAIT_SCALE. */
guint         esim_test_wait_scaled_ms (guint timeout_ms);

/* Iterates until @condition returns TRUE or the deadline passes; FALSE then.
 * Never fails the test: for callers that act on a timeout (kill a child). */
gboolean      esim_test_wait_try (guint timeout_ms, EsimTestWaitCondition condition,
                                  gpointer user_data);

/* Iterates the thread-default main context for @ms (not scaled): time for
 * something to happen that must not. */
void          esim_test_spin (guint ms);

/* The parts of the macros below. */
EsimTestWait *esim_test_wait_begin (guint timeout_ms);
gboolean      esim_test_wait_step (EsimTestWait *wait, const gchar *file, gint line,
                                   const gchar *func, const gchar *what_format, ...)
	G_GNUC_PRINTF (5, 6);
void          esim_test_wait_end (EsimTestWait *wait);
void          esim_test_wait_until_func_at (const gchar *file, gint line, const gchar *func,
                                            guint timeout_ms, EsimTestWaitCondition condition,
                                            gpointer user_data, const gchar *what_format, ...)
	G_GNUC_PRINTF (7, 8);
void          esim_test_wait_fail_at (const gchar *file, gint line, const gchar *func,
                                      guint timeout_ms, const gchar *what_format, ...)
	G_GNUC_PRINTF (5, 6);

/* Waits until the expression @cond is true, or fails naming what never came:
 * a printf format and its arguments (evaluated at every wake, so cheap ones;
 * formatted only on failure). */
#define esim_test_wait_until_ms(timeout_ms, cond, ...)                                        \
	G_STMT_START {                                                                        \
		EsimTestWait *esim_test_wait_ = esim_test_wait_begin (timeout_ms);            \
		while (!(cond) && esim_test_wait_step (esim_test_wait_, __FILE__, __LINE__,   \
		                                       G_STRFUNC, __VA_ARGS__))               \
			;                                                                     \
		esim_test_wait_end (esim_test_wait_);                                         \
	} G_STMT_END
#define esim_test_wait_until(cond, ...) esim_test_wait_until_ms (0, cond, __VA_ARGS__)

/* The same with a callback as the condition. */
#define esim_test_wait_until_func(timeout_ms, condition, user_data, ...)                      \
	esim_test_wait_until_func_at (__FILE__, __LINE__, G_STRFUNC, timeout_ms, condition,  \
	                              user_data, __VA_ARGS__)

/* Fails the test as an expired wait of @timeout_ms does: for callers of
 * esim_test_wait_try() that print what they saw first. */
#define esim_test_wait_fail(timeout_ms, ...)                                                  \
	esim_test_wait_fail_at (__FILE__, __LINE__, G_STRFUNC, timeout_ms, __VA_ARGS__)

G_END_DECLS
