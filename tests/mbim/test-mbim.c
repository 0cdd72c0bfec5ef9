/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MBIM channel backend over the fake MBIM modem (a pty speaking MBIM,
 * backed by the software eUICC), and the MBIM quirks file.
 */

#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libmbim-glib.h>

#include "esim-apdu.h"
#include "esim-channel-mbim.h"
#include "esim-error.h"
#include "esim-es10.h"
#include "esim-mbim-quirks.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"
#include "fake-mbim-modem.h"

/* ------------------------------------------------------------------------ */
/* helpers */

typedef struct {
	GAsyncResult *result;
} Waiter;

static void
waiter_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Waiter *waiter = user_data;

	waiter->result = g_object_ref (res);
}

static gboolean
waiter_done (gpointer data)
{
	return ((Waiter *) data)->result != NULL;
}

/* Iterates the main context (where the fake runs too) until the call made in
 * @caller completes; fails the test after @timeout_ms. */
static GAsyncResult *
waiter_wait_in (Waiter *waiter, guint timeout_ms, const gchar *caller)
{
	esim_test_wait_until_func (timeout_ms, waiter_done, waiter, "the call made in %s to complete",
	                           caller);
	return waiter->result;
}
#define waiter_wait(waiter, timeout_ms) waiter_wait_in (waiter, timeout_ms, G_STRFUNC)

static GBytes *
isdr_aid (void)
{
	return g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
}

static gint
channel_open (EsimChannel *channel, GError **error)
{
	g_autoptr(GBytes) aid = isdr_aid ();
	Waiter waiter = { NULL };
	gint result;

	esim_channel_open_async (channel, aid, NULL, waiter_ready, &waiter);
	result = esim_channel_open_finish (channel, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static GBytes *
channel_transmit (EsimChannel *channel, gint number, const guint8 *apdu, gsize len,
                  GError **error)
{
	g_autoptr(GBytes) command = g_bytes_new (apdu, len);
	Waiter waiter = { NULL };
	GBytes *result;

	esim_channel_transmit_async (channel, number, command, NULL, waiter_ready, &waiter);
	result = esim_channel_transmit_finish (channel, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static gboolean
channel_close (EsimChannel *channel, gint number, GError **error)
{
	Waiter waiter = { NULL };
	gboolean result;

	esim_channel_close_async (channel, number, NULL, waiter_ready, &waiter);
	result = esim_channel_close_finish (channel, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static gboolean
isdr_open (EsimIsdr *isdr, GError **error)
{
	Waiter waiter = { NULL };
	gboolean result;

	esim_isdr_open_async (isdr, NULL, waiter_ready, &waiter);
	result = esim_isdr_open_finish (isdr, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static gboolean
isdr_close (EsimIsdr *isdr, GError **error)
{
	Waiter waiter = { NULL };
	gboolean result;

	esim_isdr_close_async (isdr, NULL, waiter_ready, &waiter);
	result = esim_isdr_close_finish (isdr, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static gchar *
isdr_get_eid (EsimIsdr *isdr, GError **error)
{
	Waiter waiter = { NULL };
	gchar *eid;

	esim_es10_get_eid (isdr, NULL, waiter_ready, &waiter);
	eid = esim_es10_get_eid_finish (isdr, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return eid;
}

static gboolean
port_closed (gpointer data)
{
	return !esim_channel_mbim_is_port_open (ESIM_CHANNEL_MBIM (data));
}

/* Waits until the channel object has closed its port (after its last channel). */
static void
wait_port_closed (EsimChannelMbim *channel)
{
	esim_test_wait_until_func (5000, port_closed, channel, "the MBIM channel to close its port");
}

/* A quirks set with the defaults, changed by the caller. */
static EsimMbimQuirks
quirks_default (void)
{
	EsimMbimQuirks quirks;

	esim_mbim_quirks_init (&quirks);
	return quirks;
}

/* ------------------------------------------------------------------------ */
/* channel basics */

static void
test_mbim_open_transmit_close (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(GBytes) response = NULL;
	/* GetEID as one STORE DATA: the card answers 61xx, the data waits for GET RESPONSE */
	guint8 get_eid[] = { 0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A };
	const guint8 *raw;
	gsize len = 0;
	gint number;

	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (mbim)), ==, "mbim");
	g_assert_false (esim_channel_mbim_is_port_open (mbim));

	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_cmpint (number, >=, 1);
	g_assert_cmpint (number, <=, 3);
	g_assert_true (esim_channel_mbim_is_port_open (mbim));
	g_assert_true (fake_mbim_modem_is_session_open (fake));
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);
	g_assert_cmpuint (fake_mbim_modem_get_last_channel_group (fake), ==, 2);
	g_assert_cmpint (fake_mbim_modem_get_last_select_p2 (fake), ==, 0x04);

	get_eid[0] = esim_apdu_cla_for_channel ((guint) number, TRUE);
	response = channel_transmit (ESIM_CHANNEL (mbim), number, get_eid, sizeof (get_eid), &error);
	g_assert_no_error (error);
	/* no data, status word appended: 61 xx */
	raw = g_bytes_get_data (response, &len);
	g_assert_cmpuint (len, ==, 2);
	g_assert_cmphex (raw[0], ==, 0x61);
	g_assert_cmpuint (fake_mbim_modem_get_n_apdus (fake), ==, 1);
	{
		guint8 get_response[] = { 0x00, 0xC0, 0x00, 0x00, raw[1] };
		g_autoptr(GBytes) data = NULL;
		g_autofree gchar *eid = NULL;
		const guint8 *d;

		get_response[0] = esim_apdu_cla_for_channel ((guint) number, FALSE);
		data = channel_transmit (ESIM_CHANNEL (mbim), number, get_response,
		                         sizeof (get_response), &error);
		g_assert_no_error (error);
		d = g_bytes_get_data (data, &len);
		/* BF3E 12 5A 10 <16 bytes EID> 90 00 */
		g_assert_cmpuint (len, ==, 2 + 1 + 2 + 16 + 2);
		g_assert_cmphex (d[0], ==, 0xBF);
		g_assert_cmphex (d[1], ==, 0x3E);
		g_assert_cmphex (d[len - 2], ==, 0x90);
		g_assert_cmphex (d[len - 1], ==, 0x00);
		eid = esim_eid_from_bytes (d + 5, 16, &error);
		g_assert_no_error (error);
		g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
	}

	g_assert_true (channel_close (ESIM_CHANNEL (mbim), number, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	/* the port is released with the last channel */
	wait_port_closed (mbim);
	g_assert_false (fake_mbim_modem_is_session_open (fake));
}

static GPtrArray *
isdr_get_profiles (EsimIsdr *isdr, GError **error)
{
	Waiter waiter = { NULL };
	GPtrArray *profiles;

	esim_es10_get_profiles_info (isdr, NULL, NULL, waiter_ready, &waiter);
	profiles = esim_es10_get_profiles_info_finish (isdr, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return profiles;
}

static gboolean
isdr_enable (EsimIsdr *isdr, const gchar *iccid, GError **error)
{
	Waiter waiter = { NULL };
	gboolean result;

	esim_es10_enable_profile (isdr, iccid, TRUE, NULL, waiter_ready, &waiter);
	result = esim_es10_enable_profile_finish (isdr, waiter_wait (&waiter, 20000), error);
	g_object_unref (waiter.result);
	return result;
}

static const EsimProfileInfo *
find_profile (GPtrArray *profiles, const gchar *iccid)
{
	for (guint i = 0; i < profiles->len; i++) {
		const EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (g_strcmp0 (info->iccid, iccid) == 0)
			return info;
	}
	return NULL;
}

/* The state of @iccid in @profiles, -1 when it is not there. */
static gint
profile_state (GPtrArray *profiles, const gchar *iccid)
{
	const EsimProfileInfo *info = find_profile (profiles, iccid);

	return info != NULL ? (gint) info->state : -1;
}

/* Opens an ISD-R session over a fresh MBIM channel and reads the EID:
 * returns the EID or NULL with @error set (the session is closed again). */
static gchar *
read_eid_through (FakeMbimModem *fake, guint slot, const EsimMbimQuirks *quirks, GError **error)
{
	g_autoptr(EsimChannelMbim) mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake),
	                                                          slot, quirks,
	                                                          ESIM_CHANNEL_MBIM_FLAGS_NONE);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_autoptr(GError) close_error = NULL;
	gchar *eid = NULL;

	if (isdr_open (isdr, error))
		eid = isdr_get_eid (isdr, error);
	g_assert_true (isdr_close (isdr, &close_error));
	g_assert_no_error (close_error);
	wait_port_closed (mbim);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	return eid;
}

/* Enough profiles that GetProfilesInfo answers more than 256 bytes. */
static void
add_profiles (EsimVeuicc *card, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *iccid = g_strdup_printf ("894447650000001%04u", i);
		g_autofree gchar *name = g_strdup_printf ("Extra profile number %u", i);
		g_autoptr(GError) error = NULL;

		g_assert_true (esim_veuicc_add_profile (card, iccid, name, "esimd tests",
		                                        "operational", &error));
		g_assert_no_error (error);
	}
}

/* ------------------------------------------------------------------------ */
/* ES10 through EsimIsdr */

static void
test_mbim_es10 (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;
	guint apdus_before;

	g_assert_no_error (error);
	add_profiles (card, 8);
	/* small MBIM fragments: libmbim must reassemble the long answers */
	fake_mbim_modem_set_max_fragment (fake, 64);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);

	eid = isdr_get_eid (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));

	apdus_before = fake_mbim_modem_get_n_apdus (fake);
	profiles = isdr_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2 + 8);
	g_assert_nonnull (find_profile (profiles, "8944476500000000013"));
	g_assert_nonnull (find_profile (profiles, "8944476500000010007"));
	/* STORE DATA + at least two GET RESPONSE (61 00, then the rest) */
	g_assert_cmpuint (fake_mbim_modem_get_n_apdus (fake) - apdus_before, >=, 3);
	g_assert_cmpuint (fake_mbim_modem_get_n_fragmented (fake), >, 0);

	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	wait_port_closed (mbim);
}

/* ------------------------------------------------------------------------ */
/* quirks against a fake that insists on them */

static void
test_mbim_quirk_class_byte (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	EsimMbimQuirks quirks = quirks_default ();
	g_autofree gchar *eid = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_require_extended_class_byte (fake, TRUE);

	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CLA_NOT_SUPPORTED);
	g_assert_null (eid);
	g_clear_error (&error);

	quirks.class_byte = ESIM_MBIM_CLASS_BYTE_EXTENDED;
	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
}

static void
test_mbim_quirk_select_p2 (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	EsimMbimQuirks quirks = quirks_default ();
	g_autofree gchar *eid = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_require_select_p2 (fake, 0x0C);

	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	g_assert_nonnull (strstr (error->message, "SelectFailed"));
	g_assert_nonnull (strstr (error->message, "SelectP2"));
	g_assert_null (eid);
	g_assert_cmpint (fake_mbim_modem_get_last_select_p2 (fake), ==, 0x04);
	g_clear_error (&error);

	quirks.select_p2 = 0x0C;
	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
	g_assert_cmpint (fake_mbim_modem_get_last_select_p2 (fake), ==, 0x0C);
}

static void
test_mbim_quirk_append_le (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	EsimMbimQuirks quirks = quirks_default ();
	g_autofree gchar *eid = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_require_le (fake, TRUE);

	/* the modem loses the card's answer: GetEID sees an empty response */
	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_nonnull (error);
	g_test_message ("without AppendLe: %s", error->message);
	g_assert_nonnull (strstr (error->message, "GetEID"));
	g_assert_null (eid);
	g_clear_error (&error);

	quirks.append_le = TRUE;
	eid = read_eid_through (fake, 0, &quirks, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
}

static void
test_mbim_quirk_skip_slot_mapping (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	EsimMbimQuirks quirks = quirks_default ();
	g_autofree gchar *eid = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_set_slot_mapping (fake, FAKE_MBIM_SLOT_MAPPING_FAILS);

	eid = read_eid_through (fake, 1, &quirks, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "SkipSlotMapping"));
	g_assert_null (eid);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	g_clear_error (&error);

	quirks.skip_slot_mapping = TRUE;
	eid = read_eid_through (fake, 1, &quirks, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
	g_assert_cmpuint (fake_mbim_modem_get_n_slot_switches (fake), ==, 0);
}

static void
test_mbim_channel_group (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	EsimMbimQuirks quirks = quirks_default ();
	gint number;

	g_assert_no_error (error);
	/* ModemManager's channel (group 1) and one a crashed run left in ours */
	g_assert_cmpuint (fake_mbim_modem_open_stale_channel (fake, 1), !=, 0);
	g_assert_cmpuint (fake_mbim_modem_open_stale_channel (fake, 5), !=, 0);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 2);

	quirks.channel_group = 5;
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, &quirks,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	g_assert_cmpuint (esim_channel_mbim_get_quirks (mbim)->channel_group, ==, 5);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_cmpint (number, >=, 1);
	g_assert_cmpuint (fake_mbim_modem_get_last_channel_group (fake), ==, 5);
	/* the stale one is gone, ModemManager's is untouched, ours is new */
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 2);
	g_assert_true (channel_close (ESIM_CHANNEL (mbim), number, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);
	wait_port_closed (mbim);
}

/* ------------------------------------------------------------------------ */
/* slots */

static void
test_mbim_slot_switch (void)
{
	g_autoptr(EsimVeuicc) physical = esim_veuicc_new_ephemeral ();
	g_autoptr(EsimVeuicc) euicc = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (physical, euicc, 1, &error);
	g_autofree gchar *eid = NULL;
	g_autofree gchar *again = NULL;

	g_assert_no_error (error);
	g_assert_cmpstr (esim_veuicc_get_eid (physical), !=, esim_veuicc_get_eid (euicc));
	/* the card needs a moment after the switch (lpac#241) */
	fake_mbim_modem_set_ready_delay (fake, 300);

	eid = read_eid_through (fake, 2, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (euicc));
	g_assert_cmpuint (fake_mbim_modem_get_active_slot (fake), ==, 2);
	g_assert_cmpuint (fake_mbim_modem_get_n_slot_switches (fake), ==, 1);

	/* already mapped: no second switch */
	again = read_eid_through (fake, 2, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (again, ==, esim_veuicc_get_eid (euicc));
	g_assert_cmpuint (fake_mbim_modem_get_n_slot_switches (fake), ==, 1);
}

static void
test_mbim_slot_no_device_support (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autofree gchar *eid = NULL;
	g_autofree gchar *none = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_set_slot_mapping (fake, FAKE_MBIM_SLOT_MAPPING_NO_DEVICE_SUPPORT);

	/* single-slot modem: slot 1 is what there is (lpac#416) */
	eid = read_eid_through (fake, 1, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));

	/* slot 2 cannot be reached: said so */
	none = read_eid_through (fake, 2, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
	g_assert_nonnull (strstr (error->message, "slot 2"));
	g_assert_null (none);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* faults */

static void
test_mbim_open_refused (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	gint number;

	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);

	fake_mbim_modem_refuse_open_channel (fake, MBIM_STATUS_ERROR_OPERATION_NOT_ALLOWED);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	g_assert_nonnull (strstr (error->message, "refuses logical channels"));
	g_assert_nonnull (strstr (error->message, "OperationNotAllowed"));
	g_assert_cmpint (number, <, 0);
	g_clear_error (&error);
	/* nothing held open after a refusal */
	wait_port_closed (mbim);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);

	fake_mbim_modem_refuse_open_channel (fake, FAKE_MBIM_STATUS_NO_LOGICAL_CHANNELS);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	g_assert_nonnull (strstr (error->message, "NoLogicalChannels"));
	g_clear_error (&error);
	wait_port_closed (mbim);

	/* the same object works once the modem agrees */
	fake_mbim_modem_refuse_open_channel (fake, 0);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_true (channel_close (ESIM_CHANNEL (mbim), number, &error));
	g_assert_no_error (error);
	wait_port_closed (mbim);
}

static void
test_mbim_port_gone_mid_command (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autofree gchar *eid = NULL;
	gint64 start;

	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);

	fake_mbim_modem_unplug_on_next_apdu (fake);
	start = g_get_monotonic_time ();
	eid = isdr_get_eid (isdr, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_null (eid);
	/* no waiting for the 30 s command timeout */
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	g_assert_false (fake_mbim_modem_is_plugged (fake));
	g_assert_false (esim_channel_mbim_is_port_open (mbim));
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	g_clear_error (&error);

	/* closing afterwards neither fails nor hangs */
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);

	/* and a new open says the port is gone */
	g_assert_false (isdr_open (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, fake_mbim_modem_get_port (fake)));
}

typedef struct {
	FakeMbimModem *fake;
	gboolean       unplug;  /* else cancel */
	GCancellable  *cancellable;
} HeldAction;

static gboolean
act_when_held (gpointer user_data)
{
	HeldAction *action = user_data;

	if (fake_mbim_modem_get_n_held (action->fake) == 0)
		return G_SOURCE_CONTINUE;
	if (action->unplug)
		fake_mbim_modem_unplug (action->fake);
	else
		g_cancellable_cancel (action->cancellable);
	return G_SOURCE_REMOVE;
}

/* A command the modem never answers, ended by the port going away or by
 * the caller cancelling: both end it at once. */
static void
run_held_transmit (gboolean unplug)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(GBytes) command = NULL;
	g_autoptr(GBytes) response = NULL;
	guint8 get_eid[] = { 0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A };
	HeldAction action = { fake, unplug, cancellable };
	Waiter waiter = { NULL };
	gint64 start;
	gint number;

	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);

	fake_mbim_modem_hold_apdus (fake, TRUE);
	get_eid[0] = esim_apdu_cla_for_channel ((guint) number, TRUE);
	command = g_bytes_new (get_eid, sizeof (get_eid));
	g_timeout_add (20, act_when_held, &action);
	start = g_get_monotonic_time ();
	esim_channel_transmit_async (ESIM_CHANNEL (mbim), number, command, cancellable,
	                             waiter_ready, &waiter);
	response = esim_channel_transmit_finish (ESIM_CHANNEL (mbim), waiter_wait (&waiter, 10000),
	                                         &error);
	g_object_unref (waiter.result);
	g_assert_null (response);
	if (unplug)
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	else
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	g_clear_error (&error);

	if (!unplug) {
		/* the channel still works once the modem answers again */
		g_autoptr(GBytes) late = NULL;

		fake_mbim_modem_hold_apdus (fake, FALSE);
		late = channel_transmit (ESIM_CHANNEL (mbim), number, get_eid, sizeof (get_eid),
		                         &error);
		g_assert_no_error (error);
		g_assert_cmpuint (g_bytes_get_size (late), ==, 2);
	}
	g_assert_true (channel_close (ESIM_CHANNEL (mbim), number, &error));
	g_assert_no_error (error);
	wait_port_closed (mbim);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	/* an unplugged modem cannot be told; a live one has nothing left open */
	if (!unplug)
		g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
}

static void
test_mbim_port_gone_while_held (void)
{
	run_held_transmit (TRUE);
}

static void
test_mbim_cancel_held (void)
{
	run_held_transmit (FALSE);
}

static void
test_mbim_reset_after_enable (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;

	g_assert_no_error (error);
	fake_mbim_modem_set_reset_after_switch (fake, TRUE);
	fake_mbim_modem_set_ready_delay (fake, 300);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);

	g_assert_true (isdr_enable (isdr, "89444765000000000223", &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_resets (fake), ==, 1);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);

	/* the card was reset under the session: the channel is gone, said clearly */
	eid = isdr_get_eid (isdr, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_assert_null (eid);
	g_clear_error (&error);

	/* close (nothing left to close) and reopen, as the daemon does */
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	if (!isdr_open (isdr, &error)) {
		/* the card may still be starting: a transient transport error, then it works */
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
		g_assert_nonnull (strstr (error->message, "not ready"));
		g_clear_error (&error);
		esim_test_spin (400);
		g_assert_true (isdr_open (isdr, &error));
	}
	g_assert_no_error (error);
	profiles = isdr_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpint (profile_state (profiles, "89444765000000000223"), ==,
	                 ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (profile_state (profiles, "8944476500000000013"), ==,
	                 ESIM_PROFILE_STATE_DISABLED);
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	wait_port_closed (mbim);
}

static void
test_mbim_reset_card (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	Waiter waiter = { NULL };
	gboolean ok;
	gint number;

	g_assert_no_error (error);
	fake_mbim_modem_set_ready_delay (fake, 200);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);

	esim_channel_reset_card_async (ESIM_CHANNEL (mbim), NULL, waiter_ready, &waiter);
	ok = esim_channel_reset_card_finish (ESIM_CHANNEL (mbim), waiter_wait (&waiter, 20000),
	                                     &error);
	g_object_unref (waiter.result);
	g_assert_no_error (error);
	g_assert_true (ok);
	g_assert_cmpuint (fake_mbim_modem_get_n_resets (fake), ==, 1);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	/* reset waited for the card: opening works at once */
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_true (channel_close (ESIM_CHANNEL (mbim), number, &error));
	g_assert_no_error (error);
	wait_port_closed (mbim);
}

static gboolean
fake_released (gpointer data)
{
	FakeMbimModem *fake = data;

	return fake_mbim_modem_get_n_open_channels (fake) == 0 &&
	       !fake_mbim_modem_is_session_open (fake);
}

static void
test_mbim_dispose_releases (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	EsimChannelMbim *mbim;

	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);

	/* dropped with a channel open: the channel and the session are released */
	g_object_unref (mbim);
	esim_test_wait_until_func (5000, fake_released, fake,
	                           "the dropped MBIM channel to release the modem");
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
}

static void
test_mbim_bad_arguments (void)
{
	g_autoptr(EsimChannelMbim) mbim = esim_channel_mbim_new ("/nonexistent/cdc-wdm9", 0, NULL,
	                                                          ESIM_CHANNEL_MBIM_FLAGS_NONE);
	g_autoptr(GError) error = NULL;
	const guint8 short_apdu[] = { 0x80, 0xE2 };
	g_autoptr(GBytes) response = NULL;
	gint number;

	/* no such port: a clear transport error naming it, no crash */
	number = channel_open (ESIM_CHANNEL (mbim), &error);
	g_assert_cmpint (number, <, 0);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "/nonexistent/cdc-wdm9"));
	g_clear_error (&error);
	g_assert_false (esim_channel_mbim_is_port_open (mbim));

	response = channel_transmit (ESIM_CHANNEL (mbim), 1, short_apdu, sizeof (short_apdu), &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_null (response);
	g_clear_error (&error);

	g_assert_false (channel_close (ESIM_CHANNEL (mbim), 25, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	/* closing a channel that was never opened is a no-op */
	g_assert_true (channel_close (ESIM_CHANNEL (mbim), 2, &error));
	g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* through the real mbim-proxy (root only) */

#define MBIM_PROXY_PATH "/usr/libexec/mbim-proxy"

/* Starts our own mbim-proxy; FALSE (test skipped) where it cannot serve us. */
static gboolean
proxy_start (GPid *proxy_pid)
{
	const gchar *argv[] = { MBIM_PROXY_PATH, "--empty-timeout=5", NULL };
	g_autoptr(GError) error = NULL;

	if (getuid () != 0) {
		g_test_skip ("mbim-proxy only serves root here; run as root to test the proxy path");
		return FALSE;
	}
	if (!g_file_test (MBIM_PROXY_PATH, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip (MBIM_PROXY_PATH " is not installed");
		return FALSE;
	}
	/* ours, so that it can be ended by its pid; if another proxy already
	 * serves the socket, ours exits and libmbim uses that one */
	g_assert_true (g_spawn_async (NULL, (gchar **) argv, NULL,
	                              G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL |
	                              G_SPAWN_DO_NOT_REAP_CHILD,
	                              NULL, NULL, proxy_pid, &error));
	g_assert_no_error (error);
	esim_test_spin (200);
	return TRUE;
}

static void
proxy_stop (GPid proxy_pid)
{
	kill (proxy_pid, SIGTERM);
	waitpid (proxy_pid, NULL, 0);
	g_spawn_close_pid (proxy_pid);
}

static void
test_mbim_proxy (void)
{
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = NULL;
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autofree gchar *eid = NULL;
	GPid proxy_pid = 0;

	if (!proxy_start (&proxy_pid))
		return;

	card = esim_veuicc_new_ephemeral ();
	fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_PROXY);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	/* the proxy opened the pty itself and speaks MBIM with the fake */
	g_assert_true (fake_mbim_modem_is_session_open (fake));
	eid = isdr_get_eid (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (card));
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	wait_port_closed (mbim);
	proxy_stop (proxy_pid);
}

/* The modem's MBIM function restarts (it forgets esimd's OPEN and answers
 * NotOpened): the request it refused is sent again on a new session, once,
 * as long as the card had not run it yet or it only reads. */
static void
test_mbim_function_restart (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GPtrArray) again = NULL;
	const gchar *disabled = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *eid_after = NULL;
	guint opens, apdus;

	g_assert_no_error (error);
	/* GetProfilesInfo then answers 61xx and needs GET RESPONSE */
	add_profiles (card, 8);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_NONE);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	eid = isdr_get_eid (isdr, &error);
	g_assert_no_error (error);
	opens = fake_mbim_modem_get_n_opens (fake);
	apdus = fake_mbim_modem_get_n_apdus (fake);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);

	/* between two requests: the next STORE DATA is refused, then healed */
	fake_mbim_modem_close_function (fake);
	profiles = isdr_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2 + 8);
	g_assert_cmpuint (fake_mbim_modem_get_n_not_opened (fake), ==, 1);
	/* one new session */
	g_assert_cmpuint (fake_mbim_modem_get_n_opens (fake), ==, opens + 1);
	/* the refused STORE DATA never reached the card: it went again, and the
	 * old session's channel was closed with esimd's channel group */
	g_assert_cmpuint (fake_mbim_modem_get_n_apdus (fake) - apdus, >=, 1 + 1 + 2);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 1);

	/* in the middle of a request that only reads (its answer is waiting for
	 * GET RESPONSE): running it again is harmless, so it is sent again */
	fake_mbim_modem_close_function_after_apdus (fake, 1);
	again = isdr_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (again->len, ==, 2 + 8);
	g_assert_cmpuint (fake_mbim_modem_get_n_not_opened (fake), ==, 2);

	/* in the middle of one the card has run (an enable): not sent again, the
	 * loss is reported */
	for (guint i = 0; i < again->len && disabled == NULL; i++) {
		const EsimProfileInfo *info = g_ptr_array_index (again, i);

		if (info->state == ESIM_PROFILE_STATE_DISABLED)
			disabled = info->iccid;
	}
	g_assert_nonnull (disabled);
	fake_mbim_modem_close_function_after_apdus (fake, 1);
	g_assert_false (isdr_enable (isdr, disabled, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST);
	g_assert_nonnull (strstr (error->message, fake_mbim_modem_get_port (fake)));
	g_assert_cmpuint (fake_mbim_modem_get_n_not_opened (fake), ==, 3);
	g_assert_cmpuint (esim_channel_mbim_get_n_open_channels (mbim), ==, 0);
	g_clear_error (&error);
	/* closing the lost channel is a no-op; reopening starts a new session */
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	eid_after = isdr_get_eid (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid_after, ==, eid);
	g_assert_cmpuint (fake_mbim_modem_get_n_opens (fake), ==, opens + 3);
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	wait_port_closed (mbim);
}

/* mbim-proxy restarts between two requests: esimd's port goes away with
 * it, and the next request reopens through the new proxy.  (Through
 * libmbim 1.28's proxy a NotOpened cannot heal: the proxy force-closes its
 * device but still takes it for open, and never sends the modem a new
 * OPEN; esimd then reports the lost session.) */
static void
test_mbim_proxy_restart (void)
{
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FakeMbimModem) fake = NULL;
	g_autoptr(EsimChannelMbim) mbim = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;
	GPid proxy_pid = 0;
	guint opens;

	if (!proxy_start (&proxy_pid))
		return;
	card = esim_veuicc_new_ephemeral ();
	fake = fake_mbim_modem_new (card, NULL, 1, &error);
	g_assert_no_error (error);
	mbim = esim_channel_mbim_new (fake_mbim_modem_get_port (fake), 0, NULL,
	                              ESIM_CHANNEL_MBIM_FLAGS_PROXY);
	isdr = esim_isdr_new (ESIM_CHANNEL (mbim));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	eid = isdr_get_eid (isdr, &error);
	g_assert_no_error (error);
	opens = fake_mbim_modem_get_n_opens (fake);

	/* a new proxy listens before esimd needs it (else libmbim would start
	 * one we could not end) */
	proxy_stop (proxy_pid);
	g_assert_true (proxy_start (&proxy_pid));
	g_assert_false (esim_channel_mbim_is_port_open (mbim));

	profiles = isdr_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2);
	/* the new proxy opened the modem for esimd; nothing was refused */
	g_assert_cmpuint (fake_mbim_modem_get_n_opens (fake), ==, opens + 1);
	g_assert_cmpuint (fake_mbim_modem_get_n_not_opened (fake), ==, 0);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 1);
	g_assert_true (isdr_close (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (fake), ==, 0);
	wait_port_closed (mbim);
	proxy_stop (proxy_pid);
}

/* ------------------------------------------------------------------------ */
/* the quirks file */

static GKeyFile *
key_file_from (const gchar *text)
{
	g_autoptr(GKeyFile) file = g_key_file_new ();
	g_autoptr(GError) error = NULL;

	g_assert_true (g_key_file_load_from_data (file, text, -1, G_KEY_FILE_NONE, &error));
	g_assert_no_error (error);
	return g_steal_pointer (&file);
}

static void
assert_defaults (const EsimMbimQuirks *quirks)
{
	g_assert_cmpint (quirks->class_byte, ==, ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY);
	g_assert_cmphex (quirks->select_p2, ==, 0x04);
	g_assert_false (quirks->append_le);
	g_assert_false (quirks->skip_slot_mapping);
	g_assert_cmpuint (quirks->channel_group, ==, 2);
}

static void
test_mbim_quirks_defaults (void)
{
	EsimMbimQuirks quirks;
	g_autofree gchar *text = NULL;

	memset (&quirks, 0xAA, sizeof (quirks));
	esim_mbim_quirks_init (&quirks);
	assert_defaults (&quirks);
	text = esim_mbim_quirks_to_string (&quirks);
	g_assert_cmpstr (text, ==, "class-byte=interindustry select-p2=0x04 append-le=no "
	                 "skip-slot-mapping=no channel-group=2");
}

static const gchar quirks_text[] =
	"# comment\n"
	"[model:*L850*]\n"
	"ClassByte=extended\n"
	"SelectP2=0x0C\n"
	"AppendLe=true\n"
	"[model:Quectel EM120R-GL]\n"
	"SkipSlotMapping=true\n"
	"SelectP2=12\n"
	"[usb:2c7c:0800]\n"
	"ChannelGroup=7\n"
	"ClassByte=InterIndustry\n";

static void
test_mbim_quirks_match (void)
{
	g_autoptr(GKeyFile) file = key_file_from (quirks_text);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	EsimMbimQuirks quirks;

	/* nothing known about the modem, or no entry for it: defaults */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, NULL, &error));
	g_assert_no_error (error);
	assert_defaults (&quirks);
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0x1234, 0x5678, "Other Modem", &error));
	assert_defaults (&quirks);

	/* model pattern, case-insensitive */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, "Fibocom l850-gl LTE", &error));
	g_assert_no_error (error);
	g_assert_cmpint (quirks.class_byte, ==, ESIM_MBIM_CLASS_BYTE_EXTENDED);
	g_assert_cmphex (quirks.select_p2, ==, 0x0C);
	g_assert_true (quirks.append_le);
	g_assert_false (quirks.skip_slot_mapping);
	g_assert_cmpuint (quirks.channel_group, ==, 2);
	text = esim_mbim_quirks_to_string (&quirks);
	g_assert_cmpstr (text, ==, "class-byte=extended select-p2=0x0C append-le=yes "
	                 "skip-slot-mapping=no channel-group=2");

	/* exact model name, decimal number */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, " quectel em120r-gl ", &error));
	g_assert_true (quirks.skip_slot_mapping);
	g_assert_cmphex (quirks.select_p2, ==, 12);
	g_assert_cmpint (quirks.class_byte, ==, ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY);

	/* vid:pid alone */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0x2c7c, 0x0800, NULL, &error));
	g_assert_cmpuint (quirks.channel_group, ==, 7);
	g_assert_cmphex (quirks.select_p2, ==, 0x04);

	/* both match: the usb group wins where they overlap, the rest adds up */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0x2c7c, 0x0800, "L850-GL", &error));
	g_assert_no_error (error);
	g_assert_cmpint (quirks.class_byte, ==, ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY);
	g_assert_cmpuint (quirks.channel_group, ==, 7);
	g_assert_cmphex (quirks.select_p2, ==, 0x0C);
	g_assert_true (quirks.append_le);
}

static void
test_mbim_quirks_errors (void)
{
	static const struct {
		const gchar *text;
		const gchar *expected; /* in the message */
	} cases[] = {
		{ "[model:X]\nClassByte=proprietary\n", "ClassByte=proprietary" },
		{ "[model:X]\nSelectP2=0x100\n", "SelectP2=0x100" },
		{ "[model:X]\nSelectP2=twelve\n", "SelectP2=twelve" },
		{ "[model:X]\nSelectP2=-1\n", "SelectP2=-1" },
		{ "[model:X]\nSelectP2=0x\n", "SelectP2=0x" },
		{ "[model:X]\nAppendLe=maybe\n", "AppendLe=maybe" },
		{ "[model:X]\nSkipSlotMapping=2\n", "SkipSlotMapping=2" },
		{ "[model:X]\nChannelGroup=0\n", "ChannelGroup=0" },
		{ "[model:X]\nChannelGroup=4294967296\n", "ChannelGroup=4294967296" },
		{ "[model:X]\nSelectp2=0x0C\n", "unknown key" },
		{ "[usb:2c7c]\nAppendLe=true\n", "[usb:2c7c]" },
		{ "[usb:2c7c:08000]\nAppendLe=true\n", "[usb:2c7c:08000]" },
		{ "[usb:zz7c:0800]\nAppendLe=true\n", "[usb:zz7c:0800]" },
		{ "[model:]\nAppendLe=true\n", "empty" },
		{ "[Quectel]\nAppendLe=true\n", "unknown group" },
		/* an error in an entry for another modem is still an error */
		{ "[model:Y]\nAppendLe=true\n[model:Z]\nClassByte=no\n", "[model:Z]" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GKeyFile) file = key_file_from (cases[i].text);
		g_autoptr(GError) error = NULL;
		EsimMbimQuirks quirks;

		g_test_message ("case %u: %s", i, cases[i].text);
		g_assert_false (esim_mbim_quirks_load (&quirks, file, 0x2c7c, 0x0800, "Y", &error));
		g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
		g_assert_nonnull (strstr (error->message, cases[i].expected));
		assert_defaults (&quirks);
	}
}

static void
test_mbim_quirks_shipped_file (void)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *empty_dir = NULL;
	g_autofree gchar *saved = g_strdup (g_getenv ("ESIMD_DATADIR"));
	EsimMbimQuirks quirks;

	/* test_env points ESIMD_DATADIR at the source data/ */
	if (saved == NULL) {
		g_test_skip ("ESIMD_DATADIR is not set (run through meson test)");
		return;
	}
	file = esim_mbim_quirks_load_default_file (&error);
	g_assert_no_error (error);
	g_assert_nonnull (file);
	/* every entry is valid, and they are there */
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, NULL, &error));
	g_assert_no_error (error);
	assert_defaults (&quirks);
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, "Fibocom L850-GL", &error));
	g_assert_cmpint (quirks.class_byte, ==, ESIM_MBIM_CLASS_BYTE_EXTENDED);
	g_assert_true (quirks.append_le);
	g_assert_true (esim_mbim_quirks_load (&quirks, file, 0, 0, "Intel XMM7560", &error));
	g_assert_cmphex (quirks.select_p2, ==, 0x0C);
	g_clear_pointer (&file, g_key_file_unref);

	/* no file: a clear "not found" naming where it looked */
	empty_dir = g_dir_make_tmp ("esimd-mbim-XXXXXX", &error);
	g_assert_no_error (error);
	g_setenv ("ESIMD_DATADIR", empty_dir, TRUE);
	file = esim_mbim_quirks_load_default_file (&error);
	g_setenv ("ESIMD_DATADIR", saved, TRUE);
	g_assert_null (file);
	g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_nonnull (strstr (error->message, empty_dir));
	g_rmdir (empty_dir);
}

/* A FIFO where the quirks file should be: refused at once, start-up never hangs
 * on it (the same rule as for every file esimd is given). */
static void
test_mbim_quirks_not_regular (void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GKeyFile) file = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esimd-mbim-XXXXXX", &error);
	g_autofree gchar *fifo = NULL;
	g_autofree gchar *saved = g_strdup (g_getenv ("ESIMD_DATADIR"));

	g_assert_no_error (error);
	fifo = g_build_filename (dir, "mbim-quirks.conf", NULL);
	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
	g_setenv ("ESIMD_DATADIR", dir, TRUE);
	file = esim_mbim_quirks_load_default_file (&error);
	if (saved != NULL)
		g_setenv ("ESIMD_DATADIR", saved, TRUE);
	else
		g_unsetenv ("ESIMD_DATADIR");
	g_assert_null (file);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
	g_assert_nonnull (strstr (error->message, fifo));
	g_unlink (fifo);
	g_rmdir (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esim/mbim/open-transmit-close", test_mbim_open_transmit_close);
	g_test_add_func ("/esim/mbim/es10", test_mbim_es10);
	g_test_add_func ("/esim/mbim/quirk/class-byte", test_mbim_quirk_class_byte);
	g_test_add_func ("/esim/mbim/quirk/select-p2", test_mbim_quirk_select_p2);
	g_test_add_func ("/esim/mbim/quirk/append-le", test_mbim_quirk_append_le);
	g_test_add_func ("/esim/mbim/quirk/skip-slot-mapping", test_mbim_quirk_skip_slot_mapping);
	g_test_add_func ("/esim/mbim/channel-group", test_mbim_channel_group);
	g_test_add_func ("/esim/mbim/slot/switch", test_mbim_slot_switch);
	g_test_add_func ("/esim/mbim/slot/no-device-support", test_mbim_slot_no_device_support);
	g_test_add_func ("/esim/mbim/open-refused", test_mbim_open_refused);
	g_test_add_func ("/esim/mbim/port-gone/mid-command", test_mbim_port_gone_mid_command);
	g_test_add_func ("/esim/mbim/port-gone/held-command", test_mbim_port_gone_while_held);
	g_test_add_func ("/esim/mbim/cancel", test_mbim_cancel_held);
	g_test_add_func ("/esim/mbim/reset-after-enable", test_mbim_reset_after_enable);
	g_test_add_func ("/esim/mbim/reset-card", test_mbim_reset_card);
	g_test_add_func ("/esim/mbim/dispose-releases", test_mbim_dispose_releases);
	g_test_add_func ("/esim/mbim/bad-arguments", test_mbim_bad_arguments);
	g_test_add_func ("/esim/mbim/proxy", test_mbim_proxy);
	g_test_add_func ("/esim/mbim/function-restart", test_mbim_function_restart);
	g_test_add_func ("/esim/mbim/proxy-restart", test_mbim_proxy_restart);
	g_test_add_func ("/esim/mbim/quirks/defaults", test_mbim_quirks_defaults);
	g_test_add_func ("/esim/mbim/quirks/match", test_mbim_quirks_match);
	g_test_add_func ("/esim/mbim/quirks/errors", test_mbim_quirks_errors);
	g_test_add_func ("/esim/mbim/quirks/shipped-file", test_mbim_quirks_shipped_file);
	g_test_add_func ("/esim/mbim/quirks/not-regular", test_mbim_quirks_not_regular);
	return g_test_run ();
}
