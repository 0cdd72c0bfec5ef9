/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMI channel backend against the fake QMI modem: libqmi's QmiDevice opens
 * the fake's pseudo-terminal and speaks real QMUX to it, the fake answers
 * with software eUICCs behind its two SIM slots.  Everything runs on the
 * test's main loop.
 */

#include <string.h>

#include "esim-apdu.h"
#include "esim-channel-qmi.h"
#include "esim-error.h"
#include "esim-es10.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"
#include "fake-qmi-modem.h"

#define QMI_ERR_INTERNAL      3
#define QMI_ERR_ACCESS_DENIED 82
#define UIM_POWER_OFF_SIM     0x0030
#define UIM_POWER_ON_SIM      0x0031
#define UIM_LOGICAL_CHANNEL   0x003F
#define UIM_RESET             0x0000
#define UIM_GET_SLOT_STATUS   0x0047
#define UIM_SEND_APDU         0x003B
#define UIM_OPEN_CHANNEL      0x0042
#define CTL_ALLOCATE_CID      0x0022
#define CTL_RELEASE_CID       0x0023
#define CTL_SYNC              0x0027

typedef struct {
	EsimVeuicc     *card1;
	EsimVeuicc     *card2;
	FakeQmiModem   *modem;
	EsimChannelQmi *channel;
	EsimIsdr       *isdr;
	GAsyncResult   *res;
	guint           resets_seen;
} Fixture;

/* ------------------------------------------------------------------------ */
/* helpers */

static void
async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_null (f->res);
	f->res = g_object_ref (res);
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **slot = user_data;

	g_assert_null (*slot);
	*slot = g_object_ref (res);
}

/* Runs the main loop until the call made in @caller completes; bounded so
 * that a hang fails the test instead of stalling it. */
static GAsyncResult *
wait_result_in (Fixture *f, const gchar *caller)
{
	esim_test_wait_until_ms (20000, f->res != NULL, "the call made in %s to complete", caller);
	return f->res;
}
#define wait_result(f) wait_result_in (f, G_STRFUNC)

static void
clear_result (Fixture *f)
{
	g_clear_object (&f->res);
}

static void
spin (guint ms)
{
	esim_test_spin (ms);
}

static GBytes *
hex (const gchar *text)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (text, &error);

	g_assert_no_error (error);
	return bytes;
}

static gint
channel_open (Fixture *f, GBytes *aid, GError **error)
{
	gint ch;

	esim_channel_open_async (ESIM_CHANNEL (f->channel), aid, NULL, async_done, f);
	ch = esim_channel_open_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
	clear_result (f);
	return ch;
}

static gint
open_isdr (Fixture *f, GError **error)
{
	g_autoptr(GBytes) aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
	return channel_open (f, aid, error);
}

static GBytes *
channel_transmit (Fixture *f, gint ch, GBytes *command, GCancellable *cancellable, GError **error)
{
	GBytes *response;

	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), ch, command, cancellable, async_done, f);
	response = esim_channel_transmit_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
	clear_result (f);
	return response;
}

static gboolean
channel_close (Fixture *f, gint ch, GError **error)
{
	gboolean ok;

	esim_channel_close_async (ESIM_CHANNEL (f->channel), ch, NULL, async_done, f);
	ok = esim_channel_close_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
	clear_result (f);
	return ok;
}

static void
channel_shutdown (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	esim_channel_qmi_shutdown_async (f->channel, NULL, async_done, f);
	g_assert_true (esim_channel_qmi_shutdown_finish (f->channel, wait_result (f), &error));
	g_assert_no_error (error);
	clear_result (f);
}

static gchar *
isdr_get_eid (Fixture *f, GError **error)
{
	gchar *eid;

	esim_es10_get_eid (f->isdr, NULL, async_done, f);
	eid = esim_es10_get_eid_finish (f->isdr, wait_result (f), error);
	clear_result (f);
	return eid;
}

static gboolean
isdr_open (Fixture *f, GError **error)
{
	gboolean ok;

	esim_isdr_open_async (f->isdr, NULL, async_done, f);
	ok = esim_isdr_open_finish (f->isdr, wait_result (f), error);
	clear_result (f);
	return ok;
}

static void
isdr_close (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	esim_isdr_close_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	clear_result (f);
}

/* STORE DATA GetEID (BF3E 03 5C 01 5A) on @ch: the card answers 61xx. */
static GBytes *
get_eid_command (gint ch)
{
	static const guint8 request[] = { 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A };
	g_autoptr(GPtrArray) commands = esim_apdu_build_store_data (ch, request, sizeof (request), 255);

	g_assert_cmpuint (commands->len, ==, 1);
	return g_bytes_ref (g_ptr_array_index (commands, 0));
}

/* ICCID with a valid Luhn digit: 89444765 + 10 digits of @n + check digit. */
static gchar *
make_iccid (guint n)
{
	g_autofree gchar *body = g_strdup_printf ("894447651%09u", n);
	guint sum = 0;
	gsize len = strlen (body);

	for (gsize i = 0; i < len; i++) {
		guint d = body[len - 1 - i] - '0';
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return g_strdup_printf ("%s%u", body, (10 - sum % 10) % 10);
}

static void
fixture_set_up (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	f->card1 = esim_veuicc_new_ephemeral ();
	f->card2 = esim_veuicc_new_ephemeral ();
	f->modem = fake_qmi_modem_new (f->card1, f->card2, 1, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f->modem);
}

static void
fixture_tear_down (Fixture *f, gconstpointer user_data)
{
	g_clear_object (&f->isdr);
	if (f->channel != NULL) {
		g_object_add_weak_pointer (G_OBJECT (f->channel), (gpointer *) &f->channel);
		g_object_unref (f->channel);
		/* dispose closes and releases in the background */
		spin (50);
		g_assert_null (f->channel);
	}
	g_clear_pointer (&f->modem, fake_qmi_modem_free);
	g_clear_object (&f->card1);
	g_clear_object (&f->card2);
	clear_result (f);
}

static void
new_channel (Fixture *f, guint slot)
{
	f->channel = esim_channel_qmi_new (fake_qmi_modem_get_port (f->modem), slot,
					   ESIM_CHANNEL_QMI_FLAGS_NONE);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
}

/* ------------------------------------------------------------------------ */
/* tests */

static void
test_open_transmit_close (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) get_response = NULL;
	g_autofree gchar *response_hex = NULL;
	g_autofree gchar *expected = NULL;
	const guint8 *data;
	gsize len;
	gint ch;

	new_channel (f, 0);
	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (f->channel)), ==, "qmi");
	g_assert_cmpuint (esim_channel_qmi_get_logical_slot (f->channel), ==, 0);

	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ch, >=, 1);
	g_assert_cmpint (ch, <=, 3);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	g_assert_cmpuint (esim_channel_qmi_get_logical_slot (f->channel), ==, 1);
	/* UIM Reset clears what the modem kept for our control point */
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_RESET), ==, 1);

	/* the 61xx comes back untouched: chaining is EsimIsdr's job */
	command = get_eid_command (ch);
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_no_error (error);
	data = g_bytes_get_data (response, &len);
	g_assert_cmpuint (len, ==, 2);
	g_assert_cmpuint (data[0], ==, 0x61);
	g_assert_cmpuint (data[1], ==, 0x15);

	g_bytes_unref (command);
	command = hex (ch == 1 ? "01C0000015" : ch == 2 ? "02C0000015" : "03C0000015");
	get_response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_no_error (error);
	response_hex = esim_hex_encode_bytes (get_response);
	expected = g_strdup_printf ("BF3E125A10%s9000", esim_veuicc_get_eid (f->card1));
	g_assert_cmpstr (response_hex, ==, expected);
	g_assert_cmpuint (fake_qmi_modem_get_n_apdus (f->modem), ==, 2);

	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	/* closing again is harmless */
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);
}

static void
test_es10_get_response_chains (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;
	guint n_before;

	/* enough profiles for a ProfileInfoList well over 256 bytes */
	for (guint i = 0; i < 8; i++) {
		g_autofree gchar *iccid = make_iccid (i);
		g_autofree gchar *name = g_strdup_printf ("QMI chained profile %u", i);

		g_assert_true (esim_veuicc_add_profile (f->card1, iccid, name, "Chain operator",
							"operational", &error));
		g_assert_no_error (error);
	}
	new_channel (f, 0);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);

	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));

	n_before = fake_qmi_modem_get_n_apdus (f->modem);
	esim_es10_get_profiles_info (f->isdr, NULL, NULL, async_done, f);
	profiles = esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), &error);
	clear_result (f);
	g_assert_no_error (error);
	g_assert_nonnull (profiles);
	g_assert_cmpuint (profiles->len, ==, esim_veuicc_get_n_profiles (f->card1));
	g_assert_cmpuint (profiles->len, ==, 10);
	/* STORE DATA, then at least two GET RESPONSE pieces of ≤ 256 bytes */
	g_assert_cmpuint (fake_qmi_modem_get_n_apdus (f->modem) - n_before, >=, 3);

	isdr_close (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
}

static void
test_inactive_slot_switched (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	/* the eUICC sits in physical slot 2; slot 1 is the active one, and the
	 * switch takes two polls of Get Slot Status to show */
	fake_qmi_modem_set_slot_switch_delay (f->modem, 2);
	new_channel (f, 2);
	g_assert_cmpuint (esim_channel_qmi_get_slot (f->channel), ==, 2);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_slot_switches (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_active_slot (f->modem), ==, 2);
	g_assert_cmpuint (esim_channel_qmi_get_logical_slot (f->channel), ==, 1);
	/* the first look, then one per poll until the slot showed up */
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_GET_SLOT_STATUS), ==, 4);

	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card2));
	g_assert_cmpstr (eid, !=, esim_veuicc_get_eid (f->card1));
	isdr_close (f);
}

static void
test_dual_active_slot (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	/* a dual-active modem maps physical slot 2 to logical slot 2: no switch */
	fake_qmi_modem_set_all_slots_active (f->modem, TRUE);
	new_channel (f, 2);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_slot_switches (f->modem), ==, 0);
	g_assert_cmpuint (esim_channel_qmi_get_logical_slot (f->channel), ==, 2);
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card2));
	isdr_close (f);
}

static void
test_missing_slot (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeQmiModem) single = NULL;
	gint ch;

	new_channel (f, 3);
	ch = open_isdr (f, &error);
	g_assert_cmpint (ch, ==, -1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "has no SIM slot 3 (it has 2)"));
	g_assert_cmpuint (fake_qmi_modem_get_n_slot_switches (f->modem), ==, 0);
	/* nothing kept on the modem after a failed setup */
	spin (50);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);

	/* an empty slot is named as such */
	g_clear_error (&error);
	single = fake_qmi_modem_new (f->card1, NULL, 1, &error);
	g_assert_no_error (error);
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	f->channel = esim_channel_qmi_new (fake_qmi_modem_get_port (single), 2,
					   ESIM_CHANNEL_QMI_FLAGS_NONE);
	ch = open_isdr (f, &error);
	g_assert_cmpint (ch, ==, -1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "no card in SIM slot 2"));
	g_clear_object (&f->channel);
	spin (50);
}

static void
test_access_denied (Fixture *f, gconstpointer user_data)
{
	const struct {
		guint        qmi_error;
		const gchar *name;
	} cases[] = {
		{ QMI_ERR_ACCESS_DENIED, "(QMI AccessDenied)" }, /* SIMCom SIM7600G-H, Telit LE910C4 */
		{ QMI_ERR_INTERNAL, "(QMI Internal)" },          /* SDM670 */
	};

	new_channel (f, 0);
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *expected = g_strdup_printf (
			"the modem refuses logical channels to the eUICC %s", cases[i].name);

		fake_qmi_modem_set_open_channel_error (f->modem, cases[i].qmi_error);
		g_assert_cmpint (open_isdr (f, &error), ==, -1);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
		g_assert_cmpstr (error->message, ==, expected);
		g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	}

	/* the modem changing its mind works without a new object */
	{
		g_autoptr(GError) error = NULL;
		gint ch;

		fake_qmi_modem_set_open_channel_error (f->modem, 0);
		ch = open_isdr (f, &error);
		g_assert_no_error (error);
		g_assert_cmpint (ch, >=, 1);
		g_assert_true (channel_close (f, ch, &error));
	}
}

static void
test_port_gone (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	gint64 start;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	/* the modem drops off the bus while it has our command */
	fake_qmi_modem_vanish_after_apdus (f->modem, 1);
	command = get_eid_command (ch);
	start = g_get_monotonic_time ();
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "went away"));
	/* at once, not after the 30 s request timeout */
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	g_assert_true (fake_qmi_modem_is_gone (f->modem));

	/* later calls fail fast too: the next command on the channel was not sent,
	 * so it is a lost session (worth reopening), then the channel is closed */
	g_clear_error (&error);
	start = g_get_monotonic_time ();
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST);
	g_assert_nonnull (strstr (error->message, "went away"));
	g_clear_error (&error);
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);
	g_assert_cmpint (open_isdr (f, &error), ==, -1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	/* tear-down asserts that the object is finalized: nothing leaked a ref */
}

static void
test_stale_client_channels (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint ch;

	/* a crashed user without the proxy left every channel of the card open */
	for (guint i = 0; i < 3; i++)
		g_assert_cmpuint (fake_qmi_modem_add_stale_channel (f->modem, 1, TRUE), ==, i + 1);
	g_assert_cmpuint (fake_qmi_modem_add_stale_channel (f->modem, 1, TRUE), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 3);

	/* the exclusive open syncs CTL: their client ids and channels go */
	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ch, >=, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_LOGICAL_CHANNEL), ==, 0);
	g_assert_true (channel_close (f, ch, &error));
}

static void
test_stale_foreign_channels (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint ch;

	/* channels opened outside QMI (AT+CCHO) survive CTL Sync */
	for (guint i = 0; i < 3; i++)
		g_assert_cmpuint (fake_qmi_modem_add_stale_channel (f->modem, 1, FALSE), ==, i + 1);

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ch, >=, 1);
	/* the card was full: the sweep closed channels 1..19 that were not ours */
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_LOGICAL_CHANNEL), ==, 19);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 1);

	/* a second open with a free channel does not sweep again */
	{
		gint ch2 = open_isdr (f, &error);

		g_assert_no_error (error);
		g_assert_cmpint (ch2, !=, ch);
		g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_LOGICAL_CHANNEL), ==, 19);
		g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 2);
	}
	channel_shutdown (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
}

static void
test_reset_card (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	esim_channel_reset_card_async (ESIM_CHANNEL (f->channel), NULL, async_done, f);
	g_assert_true (esim_channel_reset_card_finish (ESIM_CHANNEL (f->channel), wait_result (f),
						       &error));
	clear_result (f);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_POWER_OFF_SIM), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_POWER_ON_SIM), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_card_resets (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);

	/* the old channel is gone with the power */
	command = get_eid_command (ch);
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);

	/* and a new one works */
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_bytes_unref (command);
	command = get_eid_command (ch);
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (response), ==, 2);
	g_assert_true (channel_close (f, ch, &error));
}

static void
card_reset_cb (FakeQmiModem *modem, guint physical_slot, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_cmpuint (physical_slot, ==, 1);
	f->resets_seen++;
}

static void
test_reset_after_enable (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;
	const gchar *disabled = NULL;
	gboolean ok;

	fake_qmi_modem_set_reset_after_switch (f->modem, TRUE);
	fake_qmi_modem_set_card_reset_func (f->modem, card_reset_cb, f);
	new_channel (f, 0);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);

	esim_es10_get_profiles_info (f->isdr, NULL, NULL, async_done, f);
	profiles = esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), &error);
	clear_result (f);
	g_assert_no_error (error);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (info->state == ESIM_PROFILE_STATE_DISABLED)
			disabled = info->iccid;
	}
	g_assert_nonnull (disabled);

	esim_es10_enable_profile (f->isdr, disabled, TRUE, NULL, async_done, f);
	ok = esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error);
	clear_result (f);
	g_assert_no_error (error);
	g_assert_true (ok);
	g_assert_cmpuint (f->resets_seen, ==, 1);

	/* as after a REFRESH: the channel died with the card reset */
	eid = isdr_get_eid (f, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);

	/* close and reopen: the card answers again, with the switch done */
	isdr_close (f);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));
	isdr_close (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
}

static void
test_shutdown_releases (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ch, >=, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);

	/* the channel is closed for us and the client released */
	channel_shutdown (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
	g_assert_cmpuint (esim_channel_qmi_get_logical_slot (f->channel), ==, 0);

	/* usable again after a shutdown */
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 1);

	/* dropping the object with a channel open cleans up the same way */
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	spin (100);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
}

static void
test_shutdown_aborts_requests (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GAsyncResult) transmit_res = NULL;
	g_autoptr(GBytes) response = NULL;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	/* the card sits on our command when the daemon lets the modem go */
	fake_qmi_modem_set_hold_apdus (f->modem, TRUE);
	command = get_eid_command (ch);
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), ch, command, NULL, store_result,
				     &transmit_res);
	esim_test_wait_until (fake_qmi_modem_get_n_held_apdus (f->modem) > 0,
	                      "the fake modem to hold the APDU");
	channel_shutdown (f);
	esim_test_wait_until (transmit_res != NULL, "the held transmit to end");
	response = esim_channel_transmit_finish (ESIM_CHANNEL (f->channel), transmit_res, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "was shut down"));
	/* the channel was still closed and the client released */
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
	fake_qmi_modem_set_hold_apdus (f->modem, FALSE);
}

static void
test_timeout (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	gint64 start;
	gint ch;

	new_channel (f, 0);
	esim_channel_qmi_set_timeout (f->channel, 1);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	fake_qmi_modem_set_hold_apdus (f->modem, TRUE);
	command = get_eid_command (ch);
	start = g_get_monotonic_time ();
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "timed out"));
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	g_assert_cmpuint (fake_qmi_modem_get_n_held_apdus (f->modem), ==, 1);

	/* the late answer is dropped; the next exchange is not confused by it */
	fake_qmi_modem_set_hold_apdus (f->modem, FALSE);
	g_clear_error (&error);
	spin (50);
	{
		g_autoptr(GBytes) again = channel_transmit (f, ch, command, NULL, &error);
		g_autofree gchar *again_hex = NULL;

		g_assert_no_error (error);
		again_hex = esim_hex_encode_bytes (again);
		g_assert_cmpstr (again_hex, ==, "6115");
	}
}

static void
test_cancel (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	GBytes *response;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	fake_qmi_modem_set_hold_apdus (f->modem, TRUE);
	command = get_eid_command (ch);
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), ch, command, cancellable, async_done, f);
	esim_test_wait_until (fake_qmi_modem_get_n_held_apdus (f->modem) > 0,
	                      "the fake modem to hold the APDU");
	g_cancellable_cancel (cancellable);
	response = esim_channel_transmit_finish (ESIM_CHANNEL (f->channel), wait_result (f), &error);
	clear_result (f);
	g_assert_null (response);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	fake_qmi_modem_set_hold_apdus (f->modem, FALSE);
	spin (20);
}

static void
test_bad_input (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) short_aid = hex ("A00000");
	g_autoptr(GBytes) unknown_aid = hex ("A0000005591010FFFFFFFF8900000177");
	g_autoptr(GBytes) too_short = hex ("8001");
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *response;
	gint ch;

	new_channel (f, 0);
	g_assert_cmpint (channel_open (f, short_aid, &error), ==, -1);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* the card's "not found" to the modem's SELECT */
	g_assert_cmpint (channel_open (f, unknown_aid, &error), ==, -1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);

	response = channel_transmit (f, 1, too_short, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* a channel we never opened */
	command = get_eid_command (2);
	response = channel_transmit (f, 2, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);

	/* a firmware answering without the APDU Response TLV */
	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	g_bytes_unref (command);
	command = get_eid_command (ch);
	fake_qmi_modem_set_malformed_apdu_response (f->modem, TRUE);
	response = channel_transmit (f, ch, command, NULL, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	fake_qmi_modem_set_malformed_apdu_response (f->modem, FALSE);
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);

	/* a port that does not exist */
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	f->channel = esim_channel_qmi_new ("/dev/esimd-test-no-such-qmi-port", 0,
					   ESIM_CHANNEL_QMI_FLAGS_NONE);
	g_assert_cmpint (open_isdr (f, &error), ==, -1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "/dev/esimd-test-no-such-qmi-port"));
}

static void
test_concurrent_open (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
	g_autoptr(GAsyncResult) res1 = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GError) error = NULL;
	gint ch1, ch2;

	/* both arrive before the device is set up: one setup serves both */
	new_channel (f, 0);
	esim_channel_open_async (ESIM_CHANNEL (f->channel), aid, NULL, store_result, &res1);
	esim_channel_open_async (ESIM_CHANNEL (f->channel), aid, NULL, store_result, &res2);
	esim_test_wait_until_ms (20000, res1 != NULL && res2 != NULL, "both opens to complete");
	ch1 = esim_channel_open_finish (ESIM_CHANNEL (f->channel), res1, &error);
	g_assert_no_error (error);
	ch2 = esim_channel_open_finish (ESIM_CHANNEL (f->channel), res2, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ch1, >=, 1);
	g_assert_cmpint (ch2, >=, 1);
	g_assert_cmpint (ch1, !=, ch2);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_RESET), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 2);
	g_assert_true (channel_close (f, ch1, &error));
	g_assert_true (channel_close (f, ch2, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
}

static void
test_proxy (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	if (getuid () != 0) {
		g_test_skip ("qmi-proxy only serves root (or its configured user): not running as root");
		return;
	}
	if (!g_file_test ("/usr/libexec/qmi-proxy", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip ("/usr/libexec/qmi-proxy is not installed");
		return;
	}
	/* the real qmi-proxy (spawned by libqmi if none runs; it exits by itself
	 * once idle) opens the pty itself and multiplexes us through it */
	f->channel = esim_channel_qmi_new (fake_qmi_modem_get_port (f->modem), 0,
					   ESIM_CHANNEL_QMI_FLAGS_PROXY);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));
	/* no CTL Sync through the proxy: it would release ModemManager's clients */
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	isdr_close (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
	channel_shutdown (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* a modem that forgets esimd's client */

static gboolean
channel_not_ready (EsimChannelQmi *channel)
{
	return esim_channel_qmi_get_logical_slot (channel) == 0;
}

/* Spins until the backend noticed that its client or port is gone. */
static void
wait_session_noticed (Fixture *f, const gchar *what)
{
	esim_test_wait_until_ms (5000, channel_not_ready (f->channel), "the QMI backend to notice %s",
	                         what);
}

/* The modem forgets our client between two commands (another program's CTL
 * Sync, a firmware restart) and says nothing: the next command is refused
 * with InvalidClientId before it reaches the card, so EsimIsdr gets
 * SESSION_LOST, a new client is allocated on the open port, the ISD-R is
 * reopened and the request sent once more.  The caller sees its answer. */
static void
test_client_forgotten (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	guint apdus, sent;

	new_channel (f, 0);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_ALLOCATE_CID), ==, 1);
	apdus = fake_qmi_modem_get_n_apdus (f->modem);
	sent = fake_qmi_modem_get_n_requests (f->modem, UIM_SEND_APDU);

	fake_qmi_modem_forget_clients (f->modem, FALSE);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);

	g_clear_pointer (&eid, g_free);
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE,
			       "*no longer knows esimd's UIM client*InvalidClientId*");
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*lost its session*reopening the ISD-R*");
	eid = isdr_get_eid (f, &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));

	/* one refused command, then on a new client and channel: TERMINAL CAPABILITY
	 * (the ISD-R reopened) and the request once more, STORE DATA + GET RESPONSE */
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_ALLOCATE_CID), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_OPEN_CHANNEL), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_SEND_APDU) - sent, ==, 4);
	g_assert_cmpuint (fake_qmi_modem_get_n_apdus (f->modem) - apdus, ==, 3);
	/* the port stayed open: no second CTL Sync */
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_SYNC), ==, 1);
	/* the forgotten id is not released: the modem may have given it to someone else */
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_RELEASE_CID), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 1);

	/* the new client is the one released at the end */
	isdr_close (f);
	channel_shutdown (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_RELEASE_CID), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->modem), ==, 1);
}

/* The modem's QMI service restarts and says so with a CTL Sync indication:
 * the client is dropped at once, so its dead id is never used again. */
static void
test_client_forgotten_sync_indication (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	new_channel (f, 0);
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);

	fake_qmi_modem_forget_clients (f->modem, TRUE);
	wait_session_noticed (f, "the CTL Sync indication");
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->modem), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_ALLOCATE_CID), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_RELEASE_CID), ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_OPEN_CHANNEL), ==, 2);
	isdr_close (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->modem), ==, 0);
}

/* The card power cycle starts over once on a new client; so does a close,
 * which has nothing left to close. */
static void
test_client_forgotten_reset_close (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint ch;

	new_channel (f, 0);
	ch = open_isdr (f, &error);
	g_assert_no_error (error);

	fake_qmi_modem_forget_clients (f->modem, FALSE);
	esim_channel_reset_card_async (ESIM_CHANNEL (f->channel), NULL, async_done, f);
	g_assert_true (esim_channel_reset_card_finish (ESIM_CHANNEL (f->channel), wait_result (f),
						       &error));
	clear_result (f);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_card_resets (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_POWER_OFF_SIM), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_requests (f->modem, UIM_POWER_ON_SIM), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_ALLOCATE_CID), ==, 2);

	/* the channel went with the old client */
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);

	ch = open_isdr (f, &error);
	g_assert_no_error (error);
	fake_qmi_modem_forget_clients (f->modem, FALSE);
	g_assert_true (channel_close (f, ch, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->modem), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_RELEASE_CID), ==, 0);
}

/* The port hangs up and comes back under the same name (the qmi-proxy esimd
 * talks through restarted, the firmware crashed): the next command is not
 * sent but fails as a lost session, and the reopen brings up a new device. */
static void
test_port_restart (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	const gchar *link;
	guint apdus;

	link = fake_qmi_modem_get_link (f->modem, &error);
	g_assert_no_error (error);
	f->channel = esim_channel_qmi_new (link, 0, ESIM_CHANNEL_QMI_FLAGS_NONE);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	g_assert_true (isdr_open (f, &error));
	g_assert_no_error (error);

	g_assert_true (fake_qmi_modem_restart (f->modem, &error));
	g_assert_no_error (error);
	wait_session_noticed (f, "the port hanging up");
	apdus = fake_qmi_modem_get_n_apdus (f->modem);
	eid = isdr_get_eid (f, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card1));
	/* opened anew: CTL Sync and a client on the new port; TERMINAL CAPABILITY,
	 * then the request, sent once */
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->modem, CTL_SYNC), ==, 2);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_apdus (f->modem) - apdus, ==, 3);
	isdr_close (f);
	channel_shutdown (f);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->modem), ==, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	/* libqmi warns about the pty ("unexpected port subsystem") and the
	 * backend about a vanished port: expected here.  Criticals stay fatal. */
	g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

#define ADD(path, fn) \
	g_test_add ("/esim/qmi/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD ("open-transmit-close", test_open_transmit_close);
	ADD ("es10-get-response-chains", test_es10_get_response_chains);
	ADD ("inactive-slot-switched", test_inactive_slot_switched);
	ADD ("dual-active-slot", test_dual_active_slot);
	ADD ("missing-slot", test_missing_slot);
	ADD ("access-denied", test_access_denied);
	ADD ("port-gone", test_port_gone);
	ADD ("stale-client-channels", test_stale_client_channels);
	ADD ("stale-foreign-channels", test_stale_foreign_channels);
	ADD ("reset-card", test_reset_card);
	ADD ("reset-after-enable", test_reset_after_enable);
	ADD ("shutdown-releases", test_shutdown_releases);
	ADD ("shutdown-aborts-requests", test_shutdown_aborts_requests);
	ADD ("timeout", test_timeout);
	ADD ("cancel", test_cancel);
	ADD ("bad-input", test_bad_input);
	ADD ("concurrent-open", test_concurrent_open);
	ADD ("proxy", test_proxy);
	ADD ("client-forgotten", test_client_forgotten);
	ADD ("client-forgotten/sync-indication", test_client_forgotten_sync_indication);
	ADD ("client-forgotten/reset-close", test_client_forgotten_reset_close);
	ADD ("port-restart", test_port_restart);
#undef ADD
	return g_test_run ();
}
