/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints what each local ES10 operation costs on the wire: APDUs and bytes
 * between IPA and eUICC, against the software eUICC.  Figures, not asserts:
 * run with `meson test -C build --benchmark`.
 */
#include <gio/gio.h>

#include "esim-apdu.h"
#include "esim-channel-virtual.h"
#include "esim-es10.h"
#include "esim-test-wait.h"
#include "esim-veuicc.h"

typedef struct {
	GAsyncResult *res;
} Waiter;

static void
waiter_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Waiter *w = user_data;
	w->res = g_object_ref (res);
}

static GAsyncResult *
waiter_run (Waiter *w)
{
	g_clear_object (&w->res);
	esim_test_wait_until (w->res != NULL, "the ES10 operation to complete");
	return w->res;
}

static void
report (const gchar *what, EsimIsdr *isdr, guint before)
{
	g_print ("%-40s %3u APDUs\n", what, esim_isdr_get_apdu_count (isdr) - before);
}

int
main (int argc, char **argv)
{
	Waiter w = { NULL };
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(EsimChannelVirtual) channel = esim_channel_virtual_new (card);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *eid = NULL;
	const gchar *disabled_iccid = NULL;
	guint before;

	/* Enough profiles that GetProfilesInfo needs several GET RESPONSEs. */
	for (guint i = 0; i < 6; i++) {
		g_autofree gchar *iccid = g_strdup_printf ("894447650000001%04u", i);
		if (!esim_veuicc_add_profile (card, iccid, "Bench profile", "esimd bench",
		                              "operational", &error)) {
			g_printerr ("add_profile: %s\n", error->message);
			return 1;
		}
	}

	before = esim_isdr_get_apdu_count (isdr);
	esim_isdr_open_async (isdr, NULL, waiter_done, &w);
	if (!esim_isdr_open_finish (isdr, waiter_run (&w), &error)) {
		g_printerr ("open: %s\n", error->message);
		return 1;
	}
	report ("open ISD-R (+ TERMINAL CAPABILITY)", isdr, before);

	before = esim_isdr_get_apdu_count (isdr);
	esim_es10_get_eid (isdr, NULL, waiter_done, &w);
	eid = esim_es10_get_eid_finish (isdr, waiter_run (&w), &error);
	if (eid == NULL) {
		g_printerr ("GetEID: %s\n", error->message);
		return 1;
	}
	report ("GetEID", isdr, before);

	before = esim_isdr_get_apdu_count (isdr);
	esim_es10_get_euicc_info2 (isdr, NULL, waiter_done, &w);
	{
		g_autoptr(EsimEuiccInfo2) info2 = esim_es10_get_euicc_info2_finish (isdr, waiter_run (&w), &error);
		if (info2 == NULL) {
			g_printerr ("GetEuiccInfo2: %s\n", error->message);
			return 1;
		}
		g_print ("%-40s %3u APDUs, %" G_GSIZE_FORMAT " bytes\n", "GetEuiccInfo2",
		         esim_isdr_get_apdu_count (isdr) - before, g_bytes_get_size (info2->raw));
	}

	before = esim_isdr_get_apdu_count (isdr);
	esim_es10_get_profiles_info (isdr, NULL, NULL, waiter_done, &w);
	profiles = esim_es10_get_profiles_info_finish (isdr, waiter_run (&w), &error);
	if (profiles == NULL) {
		g_printerr ("GetProfilesInfo: %s\n", error->message);
		return 1;
	}
	g_print ("%-40s %3u APDUs for %u profiles\n", "GetProfilesInfo",
	         esim_isdr_get_apdu_count (isdr) - before, profiles->len);

	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *p = g_ptr_array_index (profiles, i);
		if (p->state == ESIM_PROFILE_STATE_DISABLED) {
			disabled_iccid = p->iccid;
			break;
		}
	}
	before = esim_isdr_get_apdu_count (isdr);
	esim_es10_enable_profile (isdr, disabled_iccid, TRUE, NULL, waiter_done, &w);
	if (!esim_es10_enable_profile_finish (isdr, waiter_run (&w), &error)) {
		g_printerr ("EnableProfile: %s\n", error->message);
		return 1;
	}
	report ("EnableProfile", isdr, before);

	/* STORE DATA segmentation: commands per request size at the default segment size. */
	for (gsize size = 200; size <= 2000; size += 600) {
		g_autoptr(GPtrArray) apdus = NULL;
		g_autofree guint8 *buf = g_malloc0 (size);
		apdus = esim_apdu_build_store_data (1, buf, size, 255);
		g_print ("STORE DATA for %4" G_GSIZE_FORMAT " bytes: %u commands (ceil = %" G_GSIZE_FORMAT ")\n",
		         size, apdus->len, (size + 254) / 255);
	}
	g_clear_object (&w.res);
	return 0;
}
