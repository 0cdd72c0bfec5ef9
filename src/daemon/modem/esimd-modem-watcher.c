/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * See esimd-modem-watcher.h.  The watcher follows the bus name with
 * g_bus_watch_name; when ModemManager appears it creates an MMManager and
 * scans every modem: ports, Device, Manufacturer/Model, SimSlots and the SIM
 * objects.  A modem is scanned again whenever one of those properties or one
 * of its SIMs changes, and the eUICCs found are compared with the last scan.
 */

#include <stdlib.h>
#include <string.h>

#ifdef WITH_MODEMMANAGER
#include <libmm-glib.h>
#endif

#include "esim-es10-download.h"
#include "esim-util.h"
#include "esimd-log.h"
#include "esimd-modem-channel.h"
#include "esimd-modem-watcher.h"

#define WATCHER_LOG_ID "mm"

enum {
	SIGNAL_EUICC_ADDED,
	SIGNAL_EUICC_REMOVED,
	SIGNAL_DATA_CONNECTED,
	N_SIGNALS,
};

enum {
	PROP_0,
	PROP_RUNNING,
	N_PROPS,
};

static guint signals[N_SIGNALS];
static GParamSpec *props[N_PROPS];

struct _EsimdModemWatcher {
	GObject          parent_instance;
	GDBusConnection *connection;
	guint            watch_id;
	gboolean         running;
#ifdef WITH_MODEMMANAGER
	MMManager       *manager;
	GCancellable    *manager_cancellable;
	GHashTable      *modems;       /* object path -> ModemEntry* */
#endif
};

G_DEFINE_TYPE (EsimdModemWatcher, esimd_modem_watcher, G_TYPE_OBJECT)

/* ---- EsimdModemEuicc ---- */

EsimdModemEuicc *
esimd_modem_euicc_copy (const EsimdModemEuicc *info)
{
	EsimdModemEuicc *copy;

	g_return_val_if_fail (info != NULL, NULL);

	copy = g_new0 (EsimdModemEuicc, 1);
	*copy = *info;
	copy->uid = g_strdup (info->uid);
	copy->modem_path = g_strdup (info->modem_path);
	copy->manufacturer = g_strdup (info->manufacturer);
	copy->model = g_strdup (info->model);
	copy->transport = g_strdup (info->transport);
	copy->port = g_strdup (info->port);
	copy->eid = g_strdup (info->eid);
	copy->imei = g_strdup (info->imei);
	return copy;
}

void
esimd_modem_euicc_free (EsimdModemEuicc *info)
{
	if (info == NULL)
		return;
	g_free (info->uid);
	g_free (info->modem_path);
	g_free (info->manufacturer);
	g_free (info->model);
	g_free (info->transport);
	g_free (info->port);
	g_free (info->eid);
	g_free (info->imei);
	g_free (info);
}

gboolean
esimd_modem_euicc_equal (const EsimdModemEuicc *a, const EsimdModemEuicc *b)
{
	return g_strcmp0 (a->uid, b->uid) == 0 && g_strcmp0 (a->modem_path, b->modem_path) == 0 &&
	       g_strcmp0 (a->manufacturer, b->manufacturer) == 0 &&
	       g_strcmp0 (a->model, b->model) == 0 && g_strcmp0 (a->transport, b->transport) == 0 &&
	       g_strcmp0 (a->port, b->port) == 0 && a->slot == b->slot && a->active == b->active &&
	       a->vid == b->vid && a->pid == b->pid && g_strcmp0 (a->eid, b->eid) == 0 &&
	       g_strcmp0 (a->imei, b->imei) == 0 && a->radios == b->radios;
}

gchar *
esimd_modem_euicc_get_key (const EsimdModemEuicc *info)
{
	return g_strdup_printf ("%s#%u", info->uid, info->slot);
}

gchar *
esimd_modem_euicc_get_model_string (const EsimdModemEuicc *info)
{
	const gchar *manufacturer = info->manufacturer != NULL ? info->manufacturer : "";
	const gchar *model = info->model != NULL ? info->model : "";

	if (manufacturer[0] == '\0')
		return g_strdup (model);
	if (model[0] == '\0')
		return g_strdup (manufacturer);
	return g_strdup_printf ("%s %s", manufacturer, model);
}

gboolean
esimd_modem_watcher_is_running (EsimdModemWatcher *self)
{
	g_return_val_if_fail (ESIMD_IS_MODEM_WATCHER (self), FALSE);
	return self->running;
}

#ifdef WITH_MODEMMANAGER

static void
watcher_set_running (EsimdModemWatcher *self, gboolean running)
{
	if (self->running == running)
		return;
	self->running = running;
	g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
}

/* ---- one modem ---- */

typedef struct {
	EsimdModemWatcher *watcher;  /* not a reference: the watcher owns the entry */
	gchar             *path;
	MMObject          *object;
	MMModem           *modem;
	guint              generation; /* of the scan whose answer is awaited */
	GPtrArray         *sims;       /* MMSim* being watched */
	GPtrArray         *euiccs;     /* EsimdModemEuicc* from the last scan */
	gboolean           connected;  /* Modem.State is connected */
} ModemEntry;

static void modem_entry_scan (ModemEntry *entry);

static void
modem_entry_drop_sims (ModemEntry *entry)
{
	for (guint i = 0; i < entry->sims->len; i++)
		g_signal_handlers_disconnect_by_data (g_ptr_array_index (entry->sims, i), entry);
	g_ptr_array_set_size (entry->sims, 0);
}

static void
modem_entry_free (ModemEntry *entry)
{
	modem_entry_drop_sims (entry);
	g_ptr_array_unref (entry->sims);
	g_ptr_array_unref (entry->euiccs);
	g_signal_handlers_disconnect_by_data (entry->modem, entry);
	g_object_unref (entry->modem);
	g_object_unref (entry->object);
	g_free (entry->path);
	g_free (entry);
}

/* "/dev/" + the port name of the preferred transport: QMI > MBIM > AT. */
static gboolean
modem_pick_port (MMModem *modem, gchar **transport, gchar **port)
{
	static const struct {
		MMModemPortType type;
		const gchar    *transport;
	} preference[] = {
		{ MM_MODEM_PORT_TYPE_QMI, "qmi" },
		{ MM_MODEM_PORT_TYPE_MBIM, "mbim" },
		{ MM_MODEM_PORT_TYPE_AT, "at" },
	};
	const MMModemPortInfo *ports = NULL;
	guint n_ports = 0;

	if (!mm_modem_peek_ports (modem, &ports, &n_ports))
		return FALSE;
	for (guint p = 0; p < G_N_ELEMENTS (preference); p++) {
		for (guint i = 0; i < n_ports; i++) {
			const gchar *name = ports[i].name;

			if (ports[i].type != preference[p].type || name == NULL || name[0] == '\0' ||
			    strstr (name, "..") != NULL)
				continue;
			*transport = g_strdup (preference[p].transport);
			*port = g_build_filename ("/dev", name, NULL);
			return TRUE;
		}
	}
	return FALSE;
}

static guint16
read_usb_id (const gchar *device, const gchar *name)
{
	g_autofree gchar *path = g_build_filename (device, name, NULL);
	g_autofree gchar *contents = NULL;
	guint64 value = 0;

	if (!g_file_get_contents (path, &contents, NULL, NULL))
		return 0;
	if (!g_ascii_string_to_unsigned (g_strstrip (contents), 16, 0, G_MAXUINT16, &value, NULL))
		return 0;
	return (guint16) value;
}

/* Modem.EquipmentIdentifier is the IMEI on 3GPP modems, an ESN or MEID on CDMA
 * ones (ModemManager mm-modem.h): only a 15-digit IMEI whose Luhn check digit
 * fits goes into a download's deviceInfo (SGP.22 §4.2); all zeros, which
 * modems report when they have none, is no IMEI. */
static gchar *
modem_imei (MMModem *modem)
{
	const gchar *id = mm_modem_get_equipment_identifier (modem);
	guint sum = 0;
	gboolean zeros = TRUE;

	if (id == NULL || strlen (id) != 15)
		return NULL;
	for (guint i = 0; i < 15; i++) {
		guint digit;

		if (!g_ascii_isdigit (id[i]))
			return NULL;
		digit = (guint) (id[i] - '0');
		zeros = zeros && digit == 0;
		/* Luhn: every second digit from the right of the check digit doubled */
		if (i % 2 == 1)
			digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
		sum += digit;
	}
	return !zeros && sum % 10 == 0 ? g_strdup (id) : NULL;
}

static guint
modem_radios (MMModem *modem)
{
	MMModemCapability caps = mm_modem_get_current_capabilities (modem);
	guint radios = 0;

	if (caps & MM_MODEM_CAPABILITY_GSM_UMTS)
		radios |= ESIM_DEVICE_RADIO_GSM | ESIM_DEVICE_RADIO_UMTS;
	if (caps & MM_MODEM_CAPABILITY_LTE)
		radios |= ESIM_DEVICE_RADIO_LTE;
	if (caps & MM_MODEM_CAPABILITY_5GNR)
		radios |= ESIM_DEVICE_RADIO_NR;
	return radios;
}

/* The eUICC on @sim, or NULL if the SIM is not an eUICC. */
static EsimdModemEuicc *
modem_entry_euicc_for_sim (ModemEntry *entry, MMSim *sim, guint slot, gboolean active)
{
	EsimdModemEuicc *info;
	const gchar *eid = mm_sim_get_eid (sim);
	const gchar *device = mm_modem_get_device (entry->modem);

	esimd_obj_debug (WATCHER_LOG_ID, "modem %s slot %u: SIM type %s, eSIM status %s, %s EID",
	                 entry->path, slot, mm_sim_type_get_string (mm_sim_get_sim_type (sim)),
	                 mm_sim_esim_status_get_string (mm_sim_get_esim_status (sim)),
	                 eid != NULL && eid[0] != '\0' ? "with" : "no");
	if (mm_sim_get_sim_type (sim) != MM_SIM_TYPE_ESIM && (eid == NULL || eid[0] == '\0'))
		return NULL;
	if (device == NULL) {
		esimd_obj_warn (WATCHER_LOG_ID, "modem %s has an eUICC but no Device: ignored",
		                entry->path);
		return NULL;
	}
	info = g_new0 (EsimdModemEuicc, 1);
	if (!modem_pick_port (entry->modem, &info->transport, &info->port)) {
		esimd_obj_warn (WATCHER_LOG_ID, "modem %s has an eUICC but no QMI, MBIM or AT port: "
		                "ignored", entry->path);
		esimd_modem_euicc_free (info);
		return NULL;
	}
	info->uid = g_strdup (device);
	info->modem_path = g_strdup (entry->path);
	info->manufacturer = g_strdup (mm_modem_get_manufacturer (entry->modem));
	info->model = g_strdup (mm_modem_get_model (entry->modem));
	info->slot = slot;
	info->active = active;
	info->eid = g_strdup (eid != NULL && eid[0] != '\0' ? eid : NULL);
	info->imei = modem_imei (entry->modem);
	info->radios = modem_radios (entry->modem);
	/* Device is the sysfs directory of the USB device: idVendor, idProduct */
	if (g_path_is_absolute (device)) {
		info->vid = read_usb_id (device, "idVendor");
		info->pid = read_usb_id (device, "idProduct");
	}
	return info;
}

static EsimdModemEuicc *
euiccs_find_slot (GPtrArray *euiccs, guint slot)
{
	for (guint i = 0; i < euiccs->len; i++) {
		EsimdModemEuicc *info = g_ptr_array_index (euiccs, i);

		if (info->slot == slot)
			return info;
	}
	return NULL;
}

/* Reports what changed between the last scan and @found (taken). */
static void
modem_entry_update (ModemEntry *entry, GPtrArray *found)
{
	EsimdModemWatcher *self = entry->watcher;
	g_autoptr(GPtrArray) previous = g_steal_pointer (&entry->euiccs);

	entry->euiccs = found;
	for (guint i = 0; i < previous->len; i++) {
		EsimdModemEuicc *old = g_ptr_array_index (previous, i);

		if (euiccs_find_slot (found, old->slot) == NULL) {
			esimd_obj_info (WATCHER_LOG_ID, "eUICC in slot %u of modem %s is gone", old->slot,
			                entry->path);
			g_signal_emit (self, signals[SIGNAL_EUICC_REMOVED], 0, old, FALSE);
		}
	}
	for (guint i = 0; i < found->len; i++) {
		EsimdModemEuicc *info = g_ptr_array_index (found, i);
		EsimdModemEuicc *old = euiccs_find_slot (previous, info->slot);
		g_autofree gchar *model = NULL;

		if (old != NULL && esimd_modem_euicc_equal (old, info))
			continue;
		model = esimd_modem_euicc_get_model_string (info);
		esimd_obj_info (WATCHER_LOG_ID, "eUICC in slot %u of modem %s (%s) over %s %s",
		                info->slot, entry->path, model, info->transport, info->port);
		/* a duplicate is told who holds the port now */
		esimd_modem_channel_holder_moved (info);
		g_signal_emit (self, signals[SIGNAL_EUICC_ADDED], 0, info);
	}
}

static void
modem_entry_sim_changed (GObject *sim, GParamSpec *pspec, gpointer user_data)
{
	modem_entry_scan (user_data);
}

/* @sims: MMSim* or NULL per slot (a single SIM when @with_slots is FALSE). */
static void
modem_entry_scanned (ModemEntry *entry, GPtrArray *sims, gboolean with_slots)
{
	GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_modem_euicc_free);
	guint primary = mm_modem_get_primary_sim_slot (entry->modem);

	modem_entry_drop_sims (entry);
	for (guint i = 0; sims != NULL && i < sims->len; i++) {
		MMSim *sim = g_ptr_array_index (sims, i);
		guint slot = with_slots ? i + 1 : 0;
		EsimdModemEuicc *info;

		if (sim == NULL)
			continue;
		/* the EID or type may only be known later (ModemManager reads the SIM lazily) */
		g_ptr_array_add (entry->sims, g_object_ref (sim));
		g_signal_connect (sim, "notify::eid", G_CALLBACK (modem_entry_sim_changed), entry);
		g_signal_connect (sim, "notify::sim-type", G_CALLBACK (modem_entry_sim_changed), entry);
		info = modem_entry_euicc_for_sim (entry, sim, slot, !with_slots || slot == primary);
		if (info != NULL)
			g_ptr_array_add (found, info);
	}
	modem_entry_update (entry, found);
}

/* The answer of a scan is only used if its modem is still there and no newer scan started. */
typedef struct {
	EsimdModemWatcher *watcher;
	gchar             *path;
	guint              generation;
} ScanContext;

static void
scan_context_free (ScanContext *ctx)
{
	g_object_unref (ctx->watcher);
	g_free (ctx->path);
	g_free (ctx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScanContext, scan_context_free)

static ModemEntry *
scan_context_get_entry (ScanContext *ctx)
{
	ModemEntry *entry;

	if (ctx->watcher->modems == NULL)
		return NULL;
	entry = g_hash_table_lookup (ctx->watcher->modems, ctx->path);
	if (entry == NULL || entry->generation != ctx->generation)
		return NULL;
	return entry;
}

static void
modem_list_slots_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(ScanContext) ctx = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sims = mm_modem_list_sim_slots_finish (MM_MODEM (source), res, &error);
	ModemEntry *entry = scan_context_get_entry (ctx);

	if (entry == NULL)
		return;
	/* a SIM object ModemManager is replacing right now: the next change scans again */
	if (sims == NULL) {
		esimd_obj_warn (WATCHER_LOG_ID, "cannot read the SIM slots of modem %s: %s", ctx->path,
		                error->message);
		return;
	}
	modem_entry_scanned (entry, sims, TRUE);
}

static void
modem_get_sim_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(ScanContext) ctx = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MMSim) sim = mm_modem_get_sim_finish (MM_MODEM (source), res, &error);
	g_autoptr(GPtrArray) sims = g_ptr_array_new ();
	ModemEntry *entry = scan_context_get_entry (ctx);

	if (entry == NULL)
		return;
	if (sim == NULL) {
		esimd_obj_warn (WATCHER_LOG_ID, "cannot read the SIM of modem %s: %s", ctx->path,
		                error->message);
		return;
	}
	g_ptr_array_add (sims, sim);
	modem_entry_scanned (entry, sims, FALSE);
}

static void
modem_entry_scan (ModemEntry *entry)
{
	const gchar *const *slots = mm_modem_get_sim_slot_paths (entry->modem);
	const gchar *sim_path = mm_modem_get_sim_path (entry->modem);
	ScanContext *ctx = g_new0 (ScanContext, 1);

	ctx->watcher = g_object_ref (entry->watcher);
	ctx->path = g_strdup (entry->path);
	ctx->generation = ++entry->generation;
	if (slots != NULL && slots[0] != NULL) {
		mm_modem_list_sim_slots (entry->modem, NULL, modem_list_slots_ready, ctx);
		return;
	}
	/* "/" is ModemManager's "no SIM" */
	if (sim_path != NULL && g_strcmp0 (sim_path, "/") != 0) {
		mm_modem_get_sim (entry->modem, NULL, modem_get_sim_ready, ctx);
		return;
	}
	modem_entry_scanned (entry, NULL, FALSE);
	scan_context_free (ctx);
}

static void
modem_entry_property_changed (GObject *modem, GParamSpec *pspec, gpointer user_data)
{
	ModemEntry *entry = user_data;

	esimd_obj_debug (WATCHER_LOG_ID, "modem %s: %s changed", entry->path, pspec->name);
	modem_entry_scan (entry);
}

/* ModemManager's Modem.State: MM_MODEM_STATE_CONNECTED while a packet data bearer
 * is connected (ModemManager-enums.h).  Going there is "the data connection is up". */
static void
modem_entry_state_changed (GObject *modem, GParamSpec *pspec, gpointer user_data)
{
	ModemEntry *entry = user_data;
	gboolean connected = mm_modem_get_state (entry->modem) == MM_MODEM_STATE_CONNECTED;
	const gchar *uid = mm_modem_get_device (entry->modem);

	if (connected == entry->connected)
		return;
	entry->connected = connected;
	esimd_obj_debug (WATCHER_LOG_ID, "modem %s: data connection %s", entry->path,
	                 connected ? "up" : "down");
	if (connected && uid != NULL)
		g_signal_emit (entry->watcher, signals[SIGNAL_DATA_CONNECTED], 0, uid);
}

static void
watcher_add_object (EsimdModemWatcher *self, MMObject *object)
{
	static const gchar *const watched[] = {
		"notify::sim-slots", "notify::sim", "notify::primary-sim-slot", "notify::ports",
		"notify::device", "notify::model", "notify::manufacturer",
		"notify::equipment-identifier", "notify::current-capabilities",
	};
	MMModem *modem = mm_object_get_modem (object);
	ModemEntry *entry;

	if (modem == NULL)
		return;
	entry = g_new0 (ModemEntry, 1);
	entry->watcher = self;
	entry->path = g_strdup (mm_object_get_path (object));
	entry->object = g_object_ref (object);
	entry->modem = modem;
	entry->sims = g_ptr_array_new_with_free_func (g_object_unref);
	entry->euiccs = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_modem_euicc_free);
	g_hash_table_replace (self->modems, g_strdup (entry->path), entry);
	esimd_obj_debug (WATCHER_LOG_ID, "modem %s appeared", entry->path);
	for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
		g_signal_connect (modem, watched[i], G_CALLBACK (modem_entry_property_changed), entry);
	g_signal_connect (modem, "notify::state", G_CALLBACK (modem_entry_state_changed), entry);
	modem_entry_scan (entry);
	/* a modem back from a reset (a profile switch) may come connected already */
	modem_entry_state_changed (G_OBJECT (modem), NULL, entry);
}

/* Reports every eUICC of the entry gone, then forgets the modem. */
static void
watcher_remove_entry (EsimdModemWatcher *self, const gchar *path, gboolean modemmanager_gone)
{
	ModemEntry *entry = g_hash_table_lookup (self->modems, path);
	g_autoptr(GPtrArray) euiccs = NULL;

	if (entry == NULL)
		return;
	esimd_obj_debug (WATCHER_LOG_ID, "modem %s is gone", path);
	euiccs = g_ptr_array_ref (entry->euiccs);
	/* the entry goes first: a handler must not find the modem any more */
	g_hash_table_remove (self->modems, path);
	for (guint i = 0; i < euiccs->len; i++)
		g_signal_emit (self, signals[SIGNAL_EUICC_REMOVED], 0, g_ptr_array_index (euiccs, i),
		               modemmanager_gone);
}

static void
watcher_object_added_cb (GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
	watcher_add_object (user_data, MM_OBJECT (object));
}

static void watcher_modemmanager_gone (EsimdModemWatcher *self);

static void
watcher_object_removed_cb (GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
	EsimdModemWatcher *self = user_data;
	g_autofree gchar *owner = NULL;

	/* GDBusObjectManagerClient clears its owner before removing the objects of a leaving daemon */
	owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
	if (owner == NULL) {
		watcher_modemmanager_gone (self);
		return;
	}
	watcher_remove_entry (self, g_dbus_object_get_object_path (object), FALSE);
}

static void
watcher_name_owner_cb (GObject *manager, GParamSpec *pspec, gpointer user_data)
{
	EsimdModemWatcher *self = user_data;
	g_autofree gchar *owner = NULL;

	owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
	if (owner == NULL)
		watcher_modemmanager_gone (self);
}

static void
watcher_drop_manager (EsimdModemWatcher *self)
{
	g_cancellable_cancel (self->manager_cancellable);
	g_clear_object (&self->manager_cancellable);
	if (self->manager != NULL)
		g_signal_handlers_disconnect_by_data (self->manager, self);
	g_clear_object (&self->manager);
}

static void
watcher_modemmanager_gone (EsimdModemWatcher *self)
{
	g_autoptr(GList) paths = NULL;

	if (!self->running && self->manager == NULL)
		return;
	esimd_obj_info (WATCHER_LOG_ID, "ModemManager left the bus: its modems are gone");
	watcher_drop_manager (self);
	paths = g_hash_table_get_keys (self->modems);
	for (GList *l = paths; l != NULL; l = l->next) {
		g_autofree gchar *path = g_strdup (l->data);
		watcher_remove_entry (self, path, TRUE);
	}
	watcher_set_running (self, FALSE);
}

static void
watcher_manager_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdModemWatcher *self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MMManager) manager = mm_manager_new_finish (res, &error);
	g_autolist(GDBusObject) objects = NULL;

	if (manager == NULL) {
		if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			esimd_obj_warn (WATCHER_LOG_ID, "cannot follow ModemManager: %s", error->message);
		g_object_unref (self);
		return;
	}
	/* the name may have gone meanwhile: the watch says so, and cancelled us */
	if (self->manager_cancellable == NULL ||
	    g_cancellable_is_cancelled (self->manager_cancellable)) {
		g_object_unref (self);
		return;
	}
	self->manager = g_steal_pointer (&manager);
	esimd_obj_info (WATCHER_LOG_ID, "ModemManager %s is running",
	                mm_manager_get_version (self->manager) != NULL ?
	                mm_manager_get_version (self->manager) : "(unknown version)");
	g_signal_connect (self->manager, "object-added", G_CALLBACK (watcher_object_added_cb), self);
	g_signal_connect (self->manager, "object-removed", G_CALLBACK (watcher_object_removed_cb),
	                  self);
	g_signal_connect (self->manager, "notify::name-owner", G_CALLBACK (watcher_name_owner_cb),
	                  self);
	watcher_set_running (self, TRUE);
	objects = g_dbus_object_manager_get_objects (G_DBUS_OBJECT_MANAGER (self->manager));
	for (GList *l = objects; l != NULL; l = l->next)
		watcher_add_object (self, MM_OBJECT (l->data));
	g_object_unref (self);
}

static void
watcher_name_appeared_cb (GDBusConnection *connection,
                          const gchar *name,
                          const gchar *name_owner,
                          gpointer user_data)
{
	EsimdModemWatcher *self = user_data;

	esimd_obj_debug (WATCHER_LOG_ID, "%s appeared as %s", name, name_owner);
	watcher_drop_manager (self);
	self->manager_cancellable = g_cancellable_new ();
	mm_manager_new (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
	                self->manager_cancellable, watcher_manager_ready, g_object_ref (self));
}

static void
watcher_name_vanished_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdModemWatcher *self = user_data;

	if (self->running || self->manager != NULL || self->manager_cancellable != NULL) {
		watcher_modemmanager_gone (self);
		watcher_drop_manager (self);
		return;
	}
	esimd_obj_info (WATCHER_LOG_ID, "ModemManager is not running; waiting for it");
}

/* A port that was refused to @refused's modem (another modem held it, see
 * esimd_modem_channel_new()) is free: that modem takes it over, announced
 * again, if ModemManager still shows the eUICC on that port. */
static void
watcher_port_freed (const EsimdModemEuicc *refused, gpointer user_data)
{
	EsimdModemWatcher *self = user_data;
	ModemEntry *entry = g_hash_table_lookup (self->modems, refused->modem_path);
	EsimdModemEuicc *info = entry != NULL ? euiccs_find_slot (entry->euiccs, refused->slot) : NULL;

	if (info == NULL || g_strcmp0 (info->port, refused->port) != 0)
		return;
	esimd_obj_info (WATCHER_LOG_ID, "port %s is free again: offering it to modem %s", info->port,
	                entry->path);
	g_signal_emit (self, signals[SIGNAL_EUICC_ADDED], 0, info);
}

void
esimd_modem_watcher_start (EsimdModemWatcher *self)
{
	g_return_if_fail (ESIMD_IS_MODEM_WATCHER (self));
	g_return_if_fail (self->watch_id == 0);

	esimd_modem_channel_set_port_freed_func (watcher_port_freed, self);
	self->watch_id = g_bus_watch_name_on_connection (self->connection, ESIMD_MM_BUS_NAME,
	                                                 G_BUS_NAME_WATCHER_FLAGS_NONE,
	                                                 watcher_name_appeared_cb,
	                                                 watcher_name_vanished_cb, self, NULL);
}

static ModemEntry *
watcher_find_modem (EsimdModemWatcher *self, const gchar *uid)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->modems);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		ModemEntry *entry = value;

		if (g_strcmp0 (mm_modem_get_device (entry->modem), uid) == 0)
			return entry;
	}
	return NULL;
}

/* ---- requests to ModemManager ---- */

static gboolean
watcher_check_running (EsimdModemWatcher *self, GTask *task)
{
	if (self->manager != NULL)
		return TRUE;
	g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
	                         "ModemManager is not running");
	g_object_unref (task);
	return FALSE;
}

static void
watcher_inhibit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	gboolean inhibit = GPOINTER_TO_INT (g_task_get_task_data (task));
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (inhibit)
		ok = mm_manager_inhibit_device_finish (MM_MANAGER (source), res, &error);
	else
		ok = mm_manager_uninhibit_device_finish (MM_MANAGER (source), res, &error);
	if (!ok) {
		g_dbus_error_strip_remote_error (error);
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
		                         "ModemManager refused to %s the modem: %s",
		                         inhibit ? "inhibit" : "release", error->message);
	} else {
		g_task_return_boolean (task, TRUE);
	}
	g_object_unref (task);
}

void
esimd_modem_watcher_inhibit_async (EsimdModemWatcher *self,
                                   const gchar *uid,
                                   gboolean inhibit,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
	GTask *task;

	g_return_if_fail (ESIMD_IS_MODEM_WATCHER (self));
	g_return_if_fail (uid != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_modem_watcher_inhibit_async);
	g_task_set_task_data (task, GINT_TO_POINTER (inhibit), NULL);
	if (!watcher_check_running (self, task))
		return;
	esimd_obj_debug (WATCHER_LOG_ID, "%s %s", inhibit ? "inhibiting" : "releasing", uid);
	if (inhibit)
		mm_manager_inhibit_device (self->manager, uid, cancellable, watcher_inhibit_ready, task);
	else
		mm_manager_uninhibit_device (self->manager, uid, cancellable, watcher_inhibit_ready,
		                             task);
}

static void
watcher_reset_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	g_autoptr(GError) error = NULL;

	if (!mm_modem_reset_finish (MM_MODEM (source), res, &error)) {
		g_dbus_error_strip_remote_error (error);
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
		                         "ModemManager could not reset the modem: %s", error->message);
	} else {
		g_task_return_boolean (task, TRUE);
	}
	g_object_unref (task);
}

void
esimd_modem_watcher_reset_modem_async (EsimdModemWatcher *self,
                                       const gchar *uid,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data)
{
	GTask *task;
	ModemEntry *entry;

	g_return_if_fail (ESIMD_IS_MODEM_WATCHER (self));
	g_return_if_fail (uid != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_modem_watcher_reset_modem_async);
	if (!watcher_check_running (self, task))
		return;
	entry = watcher_find_modem (self, uid);
	if (entry == NULL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		                         "the modem is not known to ModemManager");
		g_object_unref (task);
		return;
	}
	esimd_obj_info (WATCHER_LOG_ID, "resetting modem %s", entry->path);
	mm_modem_reset (entry->modem, cancellable, watcher_reset_ready, task);
}

#else /* !WITH_MODEMMANAGER */

void
esimd_modem_watcher_start (EsimdModemWatcher *self)
{
	g_return_if_fail (ESIMD_IS_MODEM_WATCHER (self));
	esimd_obj_info (WATCHER_LOG_ID, "built without ModemManager support: modems are not used");
}

static void
watcher_not_supported (EsimdModemWatcher *self, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, tag);
	g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	                         "esimd was built without ModemManager support");
}

void
esimd_modem_watcher_inhibit_async (EsimdModemWatcher *self, const gchar *uid, gboolean inhibit,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
	watcher_not_supported (self, cancellable, callback, user_data,
	                       esimd_modem_watcher_inhibit_async);
}

void
esimd_modem_watcher_reset_modem_async (EsimdModemWatcher *self, const gchar *uid,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
	watcher_not_supported (self, cancellable, callback, user_data,
	                       esimd_modem_watcher_reset_modem_async);
}

#endif /* WITH_MODEMMANAGER */

gboolean
esimd_modem_watcher_inhibit_finish (EsimdModemWatcher *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

gboolean
esimd_modem_watcher_reset_modem_finish (EsimdModemWatcher *self, GAsyncResult *res,
                                        GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- object ---- */

EsimdModemWatcher *
esimd_modem_watcher_new (GDBusConnection *connection)
{
	EsimdModemWatcher *self;

	g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

	self = g_object_new (ESIMD_TYPE_MODEM_WATCHER, NULL);
	self->connection = g_object_ref (connection);
	return self;
}

static void
esimd_modem_watcher_get_property (GObject *object, guint prop_id, GValue *value,
                                  GParamSpec *pspec)
{
	EsimdModemWatcher *self = ESIMD_MODEM_WATCHER (object);

	switch (prop_id) {
	case PROP_RUNNING:
		g_value_set_boolean (value, self->running);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
		break;
	}
}

static void
esimd_modem_watcher_dispose (GObject *object)
{
	EsimdModemWatcher *self = ESIMD_MODEM_WATCHER (object);

	if (self->watch_id != 0) {
		g_bus_unwatch_name (self->watch_id);
#ifdef WITH_MODEMMANAGER
		esimd_modem_channel_set_port_freed_func (NULL, NULL);
#endif
	}
	self->watch_id = 0;
#ifdef WITH_MODEMMANAGER
	watcher_drop_manager (self);
	g_clear_pointer (&self->modems, g_hash_table_unref);
#endif
	g_clear_object (&self->connection);
	G_OBJECT_CLASS (esimd_modem_watcher_parent_class)->dispose (object);
}

static void
esimd_modem_watcher_class_init (EsimdModemWatcherClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->get_property = esimd_modem_watcher_get_property;
	object_class->dispose = esimd_modem_watcher_dispose;

	props[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE,
	                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties (object_class, N_PROPS, props);

	signals[SIGNAL_EUICC_ADDED] = g_signal_new ("euicc-added", G_TYPE_FROM_CLASS (klass),
	                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	                                            G_TYPE_NONE, 1, G_TYPE_POINTER);
	signals[SIGNAL_EUICC_REMOVED] = g_signal_new ("euicc-removed", G_TYPE_FROM_CLASS (klass),
	                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	                                              G_TYPE_NONE, 2, G_TYPE_POINTER,
	                                              G_TYPE_BOOLEAN);
	/* "data-connected" (const gchar *uid): the modem's Modem.State became connected */
	signals[SIGNAL_DATA_CONNECTED] = g_signal_new ("data-connected", G_TYPE_FROM_CLASS (klass),
	                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	                                               G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
esimd_modem_watcher_init (EsimdModemWatcher *self)
{
#ifdef WITH_MODEMMANAGER
	self->modems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                      (GDestroyNotify) modem_entry_free);
#endif
}
