/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See esim-test-wait.h. */

#include "esim-test-wait.h"

struct _EsimTestWait {
	GMainContext *context;
	GSource      *tick;
	guint         deadline_ms;
	gint64        deadline;
};

/* Nothing to do: waking the context is the point. */
static gboolean
wait_tick_cb (gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

guint
esim_test_wait_scaled_ms (guint timeout_ms)
{
	const gchar *text = g_getenv ("ESIM_TEST_WAIT_SCALE");
	gdouble scale = 1.0;
	gdouble scaled;

	if (timeout_ms == 0)
		timeout_ms = ESIM_TEST_WAIT_DEFAULT_MS;
	if (text != NULL && text[0] != '\0') {
		gchar *end = NULL;

		scale = g_ascii_strtod (text, &end);
		if (end == text || *end != '\0' || !(scale > 0.0))
			g_error ("$ESIM_TEST_WAIT_SCALE is \"%s\", not a positive number", text);
	}
	scaled = timeout_ms * scale;
	return scaled >= G_MAXUINT ? G_MAXUINT : MAX ((guint) scaled, 1);
}

/* A wait ending @deadline_ms from now (already scaled, or a spin). */
static EsimTestWait *
wait_new (guint deadline_ms)
{
	EsimTestWait *wait = g_new0 (EsimTestWait, 1);

	wait->context = g_main_context_ref_thread_default ();
	wait->tick = g_timeout_source_new (ESIM_TEST_WAIT_TICK_MS);
	g_source_set_callback (wait->tick, wait_tick_cb, NULL, NULL);
	g_source_set_static_name (wait->tick, "esim-test-wait tick");
	g_source_attach (wait->tick, wait->context);
	wait->deadline_ms = deadline_ms;
	wait->deadline = g_get_monotonic_time () + (gint64) deadline_ms * G_TIME_SPAN_MILLISECOND;
	return wait;
}

EsimTestWait *
esim_test_wait_begin (guint timeout_ms)
{
	return wait_new (esim_test_wait_scaled_ms (timeout_ms));
}

void
esim_test_wait_end (EsimTestWait *wait)
{
	g_source_destroy (wait->tick);
	g_source_unref (wait->tick);
	g_main_context_unref (wait->context);
	g_free (wait);
}

/* One iteration, or FALSE once the deadline has passed. */
static gboolean
wait_iterate (EsimTestWait *wait)
{
	if (g_get_monotonic_time () >= wait->deadline)
		return FALSE;
	g_main_context_iteration (wait->context, TRUE);
	return TRUE;
}

/* Aborts as a failed g_assert() does (with g_test_set_nonfatal_assertions(),
 * marks the test failed and returns). */
static void wait_fail_valist (const gchar *file, gint line, const gchar *func, guint scaled_ms,
                              const gchar *what_format, va_list args) G_GNUC_PRINTF (5, 0);

static void
wait_fail_valist (const gchar *file, gint line, const gchar *func, guint scaled_ms,
                  const gchar *what_format, va_list args)
{
	g_autofree gchar *what = g_strdup_vprintf (what_format, args);
	g_autofree gchar *message = NULL;
	gchar seconds[G_ASCII_DTOSTR_BUF_SIZE];

	g_ascii_formatd (seconds, sizeof (seconds), "%g", scaled_ms / 1000.0);
	message = g_strdup_printf ("timed out after %s s waiting for %s", seconds, what);
	g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
}

void
esim_test_wait_fail_at (const gchar *file, gint line, const gchar *func, guint timeout_ms,
                        const gchar *what_format, ...)
{
	va_list args;

	va_start (args, what_format);
	wait_fail_valist (file, line, func, esim_test_wait_scaled_ms (timeout_ms), what_format,
	                  args);
	va_end (args);
}

gboolean
esim_test_wait_step (EsimTestWait *wait, const gchar *file, gint line, const gchar *func,
                     const gchar *what_format, ...)
{
	va_list args;

	if (wait_iterate (wait))
		return TRUE;
	va_start (args, what_format);
	wait_fail_valist (file, line, func, wait->deadline_ms, what_format, args);
	va_end (args);
	return FALSE;
}

void
esim_test_wait_until_func_at (const gchar *file, gint line, const gchar *func, guint timeout_ms,
                              EsimTestWaitCondition condition, gpointer user_data,
                              const gchar *what_format, ...)
{
	EsimTestWait *wait = esim_test_wait_begin (timeout_ms);

	while (!condition (user_data)) {
		va_list args;

		if (wait_iterate (wait))
			continue;
		va_start (args, what_format);
		wait_fail_valist (file, line, func, wait->deadline_ms, what_format, args);
		va_end (args);
		break;
	}
	esim_test_wait_end (wait);
}

gboolean
esim_test_wait_try (guint timeout_ms, EsimTestWaitCondition condition, gpointer user_data)
{
	EsimTestWait *wait = esim_test_wait_begin (timeout_ms);
	gboolean came;

	while (!(came = condition (user_data)) && wait_iterate (wait))
		;
	esim_test_wait_end (wait);
	return came;
}

void
esim_test_spin (guint ms)
{
	EsimTestWait *wait = wait_new (ms);

	while (wait_iterate (wait))
		;
	esim_test_wait_end (wait);
}
