/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS wake-up in-process, against the fake ModemManager on a private bus
 * (Modem.Messaging, SMS objects: tests/fakes/fake-modemmanager.c): real
 * libmm-glib proxies on esimd's side, real D-Bus in between.
 */

#include <string.h>

#include "esim-test-wait.h"
#include "esimd-sms-wakeup.h"
#include "esimd-test-harness.h"
#include "fake-modemmanager.h"

#define SENDER "+491701234567"

typedef struct {
	EsimdTestHarness *h;
	FakeModemManager *mm;
	FakeMmModem      *modem;
	GDBusConnection  *connection;  /* esimd's side */
	GPtrArray        *triggers;    /* modem paths the wake-up was called with */
} SmsFixture;

static void
sms_setup (SmsFixture *f, gconstpointer data)
{
	FakeMmModemInfo info = { .device = "/sys/devices/fake-sms", .model = "Fake SMS modem" };
	g_autoptr(GError) error = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->mm = fake_modemmanager_new (esimd_test_harness_get_connection (f->h));
	fake_modemmanager_start (f->mm);
	f->modem = fake_modemmanager_add_modem (f->mm, &info);
	f->connection = g_dbus_connection_new_for_address_sync (
		esimd_test_harness_get_bus_address (f->h),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error (error);
	f->triggers = g_ptr_array_new_with_free_func (g_free);
}

static void
sms_teardown (SmsFixture *f, gconstpointer data)
{
	g_clear_object (&f->connection);
	fake_modemmanager_free (f->mm);
	esimd_test_harness_free (f->h);
	g_ptr_array_unref (f->triggers);
}

static void
wakeup_cb (const gchar *modem_path, gpointer user_data)
{
	SmsFixture *f = user_data;

	g_ptr_array_add (f->triggers, g_strdup (modem_path));
}

static gboolean
sms_gone (gpointer user_data)
{
	SmsFixture *f = user_data;

	return fake_mm_modem_get_n_sms (f->modem) == 0;
}

static gboolean
n_triggers_is (gpointer user_data)
{
	SmsFixture *f = user_data;

	return f->triggers->len == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->connection), "n"));
}

static void
wait_triggers (SmsFixture *f, guint n, const gchar *what)
{
	g_object_set_data (G_OBJECT (f->connection), "n", GUINT_TO_POINTER (n));
	esim_test_wait_until_func (0, n_triggers_is, f, "%s (%u wake-ups so far)", what, f->triggers->len);
}

static EsimdSmsWakeup *
new_wakeup (SmsFixture *f, const gchar *pattern, gboolean delete_wakeups)
{
	const gchar *senders[] = { SENDER, NULL };
	g_autoptr(GError) error = NULL;
	EsimdSmsWakeup *wakeup = esimd_sms_wakeup_new (f->connection, senders, pattern, delete_wakeups,
	                                               wakeup_cb, f, &error);

	g_assert_no_error (error);
	return wakeup;
}

/* A message from the configured sender, and one whose text matches: each a
 * wake-up of its modem, and deleted; any other message is left alone. */
static void
test_sender_and_pattern (SmsFixture *f, gconstpointer data)
{
	g_autoptr(EsimdSmsWakeup) wakeup = new_wakeup (f, "^esim:poll( |$)", TRUE);
	g_autofree gchar *other = NULL;
	const gchar *path;

	esimd_sms_wakeup_add_modem (wakeup, fake_mm_modem_get_path (f->modem));
	/* let it list the (empty) storage and subscribe */
	esim_test_spin (300);
	path = fake_mm_modem_receive_sms (f->modem, SENDER, "anything", TRUE);
	wait_triggers (f, 1, "the wake-up by the configured sender");
	g_assert_cmpstr (g_ptr_array_index (f->triggers, 0), ==, fake_mm_modem_get_path (f->modem));
	esim_test_wait_until_func (0, sms_gone, f, "the wake-up message %s to be deleted", path);

	fake_mm_modem_receive_sms (f->modem, "+4915100000", "esim:poll now", TRUE);
	wait_triggers (f, 2, "the wake-up by the pattern");
	esim_test_wait_until_func (0, sms_gone, f, "the second wake-up message to be deleted");

	/* not ours: neither the sender nor the text */
	other = g_strdup (fake_mm_modem_receive_sms (f->modem, "+4915100000", "Your bill is ready", TRUE));
	esim_test_spin (500);
	g_assert_cmpuint (f->triggers->len, ==, 2);
	g_assert_true (fake_mm_modem_has_sms (f->modem, other));
	g_assert_cmpuint (esimd_sms_wakeup_get_n_wakeups (wakeup), ==, 2);
}

/* A multipart message is judged once complete; one stored before esimd looked
 * is found by List; delete=false keeps the message; a modem no longer followed
 * wakes nothing. */
static void
test_multipart_stored_and_kept (SmsFixture *f, gconstpointer data)
{
	g_autoptr(EsimdSmsWakeup) wakeup = new_wakeup (f, NULL, FALSE);
	g_autofree gchar *stored = g_strdup (fake_mm_modem_receive_sms (f->modem, SENDER, "stored", TRUE));
	g_autofree gchar *partial = NULL;

	esimd_sms_wakeup_add_modem (wakeup, fake_mm_modem_get_path (f->modem));
	wait_triggers (f, 1, "the wake-up by a message stored before esimd looked");
	/* delete=false */
	g_assert_true (fake_mm_modem_has_sms (f->modem, stored));

	partial = g_strdup (fake_mm_modem_receive_sms (f->modem, SENDER, "part one", FALSE));
	esim_test_spin (500);
	g_assert_cmpuint (f->triggers->len, ==, 1);
	fake_mm_modem_complete_sms (f->modem, partial);
	wait_triggers (f, 2, "the wake-up once the multipart message is complete");

	esimd_sms_wakeup_remove_modem (wakeup, fake_mm_modem_get_path (f->modem));
	fake_mm_modem_receive_sms (f->modem, SENDER, "too late", TRUE);
	esim_test_spin (500);
	g_assert_cmpuint (f->triggers->len, ==, 2);
}

/* Nothing to wake up on, or a pattern that is no regular expression: refused. */
static void
test_bad_settings (SmsFixture *f, gconstpointer data)
{
	const gchar *senders[] = { SENDER, NULL };
	g_autoptr(GError) error = NULL;

	g_assert_null (esimd_sms_wakeup_new (f->connection, NULL, NULL, TRUE, wakeup_cb, f, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_null (esimd_sms_wakeup_new (f->connection, senders, "(", TRUE, wakeup_cb, f, &error));
	g_assert_error (error, G_REGEX_ERROR, G_REGEX_ERROR_UNMATCHED_PARENTHESIS);
}

int
main (int argc, char *argv[])
{
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/push/sms-wakeup/sender-and-pattern", SmsFixture, NULL, sms_setup,
	            test_sender_and_pattern, sms_teardown);
	g_test_add ("/push/sms-wakeup/multipart-stored-kept", SmsFixture, NULL, sms_setup,
	            test_multipart_stored_and_kept, sms_teardown);
	g_test_add ("/push/sms-wakeup/bad-settings", SmsFixture, NULL, sms_setup, test_bad_settings,
	            sms_teardown);
	return g_test_run ();
}
