/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esim-test-wait.h: waits end when their condition comes, and otherwise fail
 * the test in time, naming what never came.  The failing waits run in
 * subprocesses (g_test_trap_subprocess) so that this suite stays green. */

#include "esim-test-wait.h"

#define TRAP_TIMEOUT_US (20 * G_USEC_PER_SEC)

static gboolean
set_flag_cb (gpointer user_data)
{
	*(gboolean *) user_data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
flag_is_set (gpointer user_data)
{
	return *(gboolean *) user_data;
}

static gboolean
time_has_come (gpointer user_data)
{
	return g_get_monotonic_time () >= *(gint64 *) user_data;
}

/* Nothing dispatched by a non-blocking iteration a while later: the wait
 * left no source behind. */
static void
assert_context_idle (void)
{
	g_usleep (2 * ESIM_TEST_WAIT_TICK_MS * 1000);
	g_assert_false (g_main_context_iteration (NULL, FALSE));
}

static void
test_wait_until_comes (void)
{
	gboolean flag = FALSE;
	gint64 started = g_get_monotonic_time ();

	g_timeout_add (50, set_flag_cb, &flag);
	esim_test_wait_until (flag, "the flag");
	g_assert_true (flag);
	g_assert_cmpint (g_get_monotonic_time () - started, <, G_USEC_PER_SEC);
	assert_context_idle ();

	flag = FALSE;
	g_timeout_add (50, set_flag_cb, &flag);
	esim_test_wait_until_func (0, flag_is_set, &flag, "the flag");
	g_assert_true (flag);
	assert_context_idle ();
}

/* A condition that changes while nothing happens in the main context (a file
 * another process writes, a property read with a blocking call): a wait that
 * iterates only on events would block for ever here. */
static void
test_wait_until_without_events (void)
{
	gint64 started = g_get_monotonic_time ();
	gint64 when = started + 100 * G_TIME_SPAN_MILLISECOND;

	g_assert_false (g_main_context_pending (NULL));
	esim_test_wait_until (time_has_come (&when), "the time to come");
	g_assert_cmpint (g_get_monotonic_time () - started, <, G_USEC_PER_SEC);

	when = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
	esim_test_wait_until_func (0, time_has_come, &when, "the time to come");
	g_assert_true (time_has_come (&when));
	assert_context_idle ();
}

/* The context the caller's thread uses is the one iterated. */
static void
test_wait_thread_default (void)
{
	g_autoptr(GMainContext) context = g_main_context_new ();
	g_autoptr(GSource) source = g_timeout_source_new (50);
	gboolean flag = FALSE;

	g_source_set_callback (source, set_flag_cb, &flag, NULL);
	g_source_attach (source, context);
	g_main_context_push_thread_default (context);
	esim_test_wait_until_ms (2000, flag, "the flag set in a pushed context");
	g_main_context_pop_thread_default (context);
	g_assert_true (flag);
}

static void
test_wait_never_expression (void)
{
	gboolean never = FALSE;
	gint64 started;

	if (g_test_subprocess ()) {
		esim_test_wait_until_ms (200, never, "the answer %s", "that never comes");
		g_printerr ("went on after the wait\n");
		return;
	}
	started = g_get_monotonic_time ();
	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*test-wait.c:*test_wait_never_expression*"
	                           "timed out after 0.2 s waiting for the answer that never comes*");
	g_test_trap_assert_stderr_unmatched ("*went on after the wait*");
	/* the deadline, not a meson timeout, ended it */
	g_assert_cmpint (g_get_monotonic_time () - started, >=, 200 * G_TIME_SPAN_MILLISECOND);
	g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
}

static void
test_wait_never_func (void)
{
	gboolean never = FALSE;

	if (g_test_subprocess ()) {
		esim_test_wait_until_func (300, flag_is_set, &never, "the log to say \"%s %d\"",
		                           "hello", 42);
		return;
	}
	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*test_wait_never_func*"
	                           "timed out after 0.3 s waiting for the log to say \"hello 42\"*");
}

/* The default deadline and its scale. */
static void
test_wait_scale (void)
{
	gboolean never = FALSE;

	if (g_test_subprocess ()) {
		g_setenv ("ESIM_TEST_WAIT_SCALE", "0.5", TRUE);
		esim_test_wait_until_ms (400, never, "a scaled deadline");
		return;
	}
	g_unsetenv ("ESIM_TEST_WAIT_SCALE");
	g_assert_cmpuint (esim_test_wait_scaled_ms (0), ==, ESIM_TEST_WAIT_DEFAULT_MS);
	g_assert_cmpuint (esim_test_wait_scaled_ms (250), ==, 250);
	g_setenv ("ESIM_TEST_WAIT_SCALE", "3", TRUE);
	g_assert_cmpuint (esim_test_wait_scaled_ms (0), ==, 3 * ESIM_TEST_WAIT_DEFAULT_MS);
	g_assert_cmpuint (esim_test_wait_scaled_ms (250), ==, 750);
	g_unsetenv ("ESIM_TEST_WAIT_SCALE");

	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*timed out after 0.2 s waiting for a scaled deadline*");
}

static void
test_wait_scale_invalid (void)
{
	gboolean never = FALSE;

	if (g_test_subprocess ()) {
		g_setenv ("ESIM_TEST_WAIT_SCALE", "slow", TRUE);
		esim_test_wait_until (never, "anything");
		return;
	}
	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*ESIM_TEST_WAIT_SCALE is *slow*, not a positive number*");
}

/* Non-fatal assertions: the wait marks the test failed and returns. */
static void
test_wait_nonfatal (void)
{
	gboolean never = FALSE;

	if (g_test_subprocess ()) {
		g_test_set_nonfatal_assertions ();
		esim_test_wait_until_ms (100, never, "the first answer");
		esim_test_wait_until_func (100, flag_is_set, &never, "the second answer");
		g_printerr ("went on after the waits\n");
		return;
	}
	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*timed out after 0.1 s waiting for the first answer*"
	                           "timed out after 0.1 s waiting for the second answer*"
	                           "went on after the waits*");
}

static void
test_wait_fail (void)
{
	if (g_test_subprocess ()) {
		esim_test_wait_fail (1500, "the %u readers", 2);
		return;
	}
	g_test_trap_subprocess (NULL, TRAP_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*timed out after 1.5 s waiting for the 2 readers*");
}

/* try: FALSE at the deadline, no failure; TRUE when it comes. */
static void
test_wait_try (void)
{
	gboolean flag = FALSE;
	gint64 started = g_get_monotonic_time ();

	g_assert_false (esim_test_wait_try (100, flag_is_set, &flag));
	g_assert_cmpint (g_get_monotonic_time () - started, >=, 100 * G_TIME_SPAN_MILLISECOND);
	g_assert_false (g_test_failed ());
	assert_context_idle ();

	g_timeout_add (50, set_flag_cb, &flag);
	g_assert_true (esim_test_wait_try (2000, flag_is_set, &flag));
}

/* spin: events run for the whole time. */
static void
test_wait_spin (void)
{
	gboolean flag = FALSE;
	gint64 started = g_get_monotonic_time ();

	g_timeout_add (50, set_flag_cb, &flag);
	esim_test_spin (150);
	g_assert_true (flag);
	g_assert_cmpint (g_get_monotonic_time () - started, >=, 150 * G_TIME_SPAN_MILLISECOND);
	assert_context_idle ();
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	/* the deadlines below are exact */
	g_unsetenv ("ESIM_TEST_WAIT_SCALE");
	g_test_add_func ("/wait/until/comes", test_wait_until_comes);
	g_test_add_func ("/wait/until/without-events", test_wait_until_without_events);
	g_test_add_func ("/wait/until/thread-default", test_wait_thread_default);
	g_test_add_func ("/wait/until/never", test_wait_never_expression);
	g_test_add_func ("/wait/until-func/never", test_wait_never_func);
	g_test_add_func ("/wait/scale", test_wait_scale);
	g_test_add_func ("/wait/scale/invalid", test_wait_scale_invalid);
	g_test_add_func ("/wait/nonfatal", test_wait_nonfatal);
	g_test_add_func ("/wait/fail", test_wait_fail);
	g_test_add_func ("/wait/try", test_wait_try);
	g_test_add_func ("/wait/spin", test_wait_spin);
	return g_test_run ();
}
