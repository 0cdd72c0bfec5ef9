/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See fake-modemmanager.h.  Test code: assertions are allowed here. */

#include <string.h>

#include <libmm-glib.h>

#include "esim-test-wait.h"
#include "fake-modemmanager.h"

#define FAKE_MM_ROOT_PATH    "/org/freedesktop/ModemManager1"
#define FAKE_MM_MAX_SLOTS    4
#define FAKE_MM_NAME_WAIT_MS 5000

typedef struct {
	gboolean         present;
	MMSimType        type;
	MMSimEsimStatus  status;
	gchar           *eid;
	MmGdbusSim      *skeleton;  /* exported while the modem is */
	gchar           *path;
} FakeMmSim;

struct _FakeMmModem {
	FakeModemManager      *mm;
	gchar                 *device;
	gchar                 *manufacturer;
	gchar                 *model;
	gchar                 *equipment_identifier;
	guint                  capabilities;
	MMModemState           state;       /* Modem.State */
	GVariant              *ports;       /* a(su) */
	guint                  n_slots;
	guint                  primary_slot;
	FakeMmSim              sims[FAKE_MM_MAX_SLOTS + 1]; /* [0] without SimSlots, else [1..n] */
	gboolean               inhibited;
	gchar                 *inhibit_owner; /* unique name of the inhibiting caller */
	guint                  inhibit_watch_id;
	gboolean               resetting;
	guint                  reset_count;
	guint                  reset_delay_ms;
	guint                  reset_source_id;
	FakeMmModemHook        reset_hook;
	gpointer               reset_hook_data;
	/* while exported */
	guint                  index;
	gchar                 *path;
	MmGdbusObjectSkeleton *object;
	MmGdbusModem          *skeleton;
	GSList                *sim_resets;  /* pending SimReset* */
};

typedef struct {
	FakeMmModem *modem;
	guint        slot;
	guint        source_id;
} SimReset;

typedef struct {
	GDBusMethodInvocation *invocation;
	gchar                 *uid;
	gboolean               inhibit;
} HeldInhibit;

struct _FakeModemManager {
	GDBusConnection                    *connection;
	GDBusObjectManagerServer           *server;
	MmGdbusOrgFreedesktopModemManager1 *manager;
	guint                               owner_id;
	gboolean                            name_owned;
	gboolean                            running;
	GPtrArray                          *modems;      /* FakeMmModem* */
	guint                               next_modem_index;
	guint                               next_sim_index;
	FakeMmInhibitMode                   inhibit_mode;
	GPtrArray                          *held;        /* HeldInhibit* */
	GPtrArray                          *inhibit_log; /* gchar* */
};

static void modem_export (FakeMmModem *modem);
static void modem_unexport (FakeMmModem *modem);

/* ---- SIM objects ---- */

static guint
modem_sim_first (FakeMmModem *modem)
{
	return modem->n_slots == 0 ? 0 : 1;
}

static guint
modem_sim_last (FakeMmModem *modem)
{
	return modem->n_slots == 0 ? 0 : modem->n_slots;
}

static void
sim_unexport (FakeMmSim *sim)
{
	if (sim->skeleton == NULL)
		return;
	g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (sim->skeleton));
	g_clear_object (&sim->skeleton);
	g_clear_pointer (&sim->path, g_free);
}

static void
sim_export (FakeMmModem *modem, guint slot)
{
	FakeModemManager *mm = modem->mm;
	FakeMmSim *sim = &modem->sims[slot];
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = NULL;

	if (!sim->present || sim->skeleton != NULL)
		return;
	sim->path = g_strdup_printf (FAKE_MM_ROOT_PATH "/SIM/%u", mm->next_sim_index++);
	sim->skeleton = mm_gdbus_sim_skeleton_new ();
	iccid = g_strdup_printf ("89000000000000%05u", (guint) g_random_int_range (0, 99999));
	mm_gdbus_sim_set_active (sim->skeleton,
	                         modem->n_slots == 0 || slot == modem->primary_slot);
	mm_gdbus_sim_set_sim_identifier (sim->skeleton, iccid);
	mm_gdbus_sim_set_imsi (sim->skeleton, "");
	mm_gdbus_sim_set_eid (sim->skeleton, sim->eid != NULL ? sim->eid : "");
	mm_gdbus_sim_set_operator_identifier (sim->skeleton, "");
	mm_gdbus_sim_set_operator_name (sim->skeleton, "");
	mm_gdbus_sim_set_sim_type (sim->skeleton, sim->type);
	mm_gdbus_sim_set_esim_status (sim->skeleton, sim->status);
	mm_gdbus_sim_set_removability (sim->skeleton, MM_SIM_REMOVABILITY_NOT_REMOVABLE);
	g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (sim->skeleton), mm->connection,
	                                  sim->path, &error);
	g_assert_no_error (error);
}

/* Sim / SimSlots of the exported modem from the SIM objects. */
static void
modem_update_sim_properties (FakeMmModem *modem)
{
	g_autoptr(GPtrArray) slots = g_ptr_array_new ();

	if (modem->skeleton == NULL)
		return;
	if (modem->n_slots == 0) {
		mm_gdbus_modem_set_sim (modem->skeleton,
		                        modem->sims[0].path != NULL ? modem->sims[0].path : "/");
		mm_gdbus_modem_set_sim_slots (modem->skeleton, NULL);
		return;
	}
	for (guint i = 1; i <= modem->n_slots; i++)
		g_ptr_array_add (slots, modem->sims[i].path != NULL ? modem->sims[i].path : "/");
	g_ptr_array_add (slots, NULL);
	mm_gdbus_modem_set_sim_slots (modem->skeleton, (const gchar *const *) slots->pdata);
	mm_gdbus_modem_set_sim (modem->skeleton,
	                        modem->sims[modem->primary_slot].path != NULL ?
	                        modem->sims[modem->primary_slot].path : "/");
}

/* ---- modem objects ---- */

static gboolean
modem_handle_reset (MmGdbusModem *skeleton, GDBusMethodInvocation *invocation, gpointer user_data);

static void
modem_export (FakeMmModem *modem)
{
	FakeModemManager *mm = modem->mm;

	if (modem->object != NULL || !mm->running || modem->inhibited || modem->resetting)
		return;
	modem->index = mm->next_modem_index++;
	modem->path = g_strdup_printf (FAKE_MM_ROOT_PATH "/Modem/%u", modem->index);
	modem->object = mm_gdbus_object_skeleton_new (modem->path);
	modem->skeleton = mm_gdbus_modem_skeleton_new ();
	mm_gdbus_modem_set_device (modem->skeleton, modem->device);
	mm_gdbus_modem_set_manufacturer (modem->skeleton, modem->manufacturer);
	mm_gdbus_modem_set_model (modem->skeleton, modem->model);
	mm_gdbus_modem_set_revision (modem->skeleton, "fake-1.0");
	mm_gdbus_modem_set_device_identifier (modem->skeleton, "fake");
	mm_gdbus_modem_set_equipment_identifier (modem->skeleton, modem->equipment_identifier);
	mm_gdbus_modem_set_current_capabilities (modem->skeleton, modem->capabilities);
	mm_gdbus_modem_set_plugin (modem->skeleton, "fake");
	mm_gdbus_modem_set_primary_port (modem->skeleton, "");
	mm_gdbus_modem_set_ports (modem->skeleton, modem->ports);
	mm_gdbus_modem_set_primary_sim_slot (modem->skeleton,
	                                     modem->n_slots > 0 ? modem->primary_slot : 0);
	mm_gdbus_modem_set_state (modem->skeleton, modem->state);
	for (guint i = modem_sim_first (modem); i <= modem_sim_last (modem); i++)
		sim_export (modem, i);
	modem_update_sim_properties (modem);
	g_signal_connect (modem->skeleton, "handle-reset", G_CALLBACK (modem_handle_reset), modem);
	mm_gdbus_object_skeleton_set_modem (modem->object, modem->skeleton);
	g_dbus_object_manager_server_export (mm->server, G_DBUS_OBJECT_SKELETON (modem->object));
}

static void
sim_reset_free (SimReset *reset)
{
	if (reset->source_id != 0)
		g_source_remove (reset->source_id);
	g_free (reset);
}

static void
modem_unexport (FakeMmModem *modem)
{
	g_slist_free_full (g_steal_pointer (&modem->sim_resets), (GDestroyNotify) sim_reset_free);
	for (guint i = modem_sim_first (modem); i <= modem_sim_last (modem); i++)
		sim_unexport (&modem->sims[i]);
	if (modem->object == NULL)
		return;
	g_signal_handlers_disconnect_by_data (modem->skeleton, modem);
	g_dbus_object_manager_server_unexport (modem->mm->server, modem->path);
	g_clear_object (&modem->skeleton);
	g_clear_object (&modem->object);
	g_clear_pointer (&modem->path, g_free);
}

static gboolean
modem_reset_done_cb (gpointer user_data)
{
	FakeMmModem *modem = user_data;

	modem->reset_source_id = 0;
	modem->resetting = FALSE;
	modem_export (modem);
	return G_SOURCE_REMOVE;
}

static gboolean
modem_handle_reset (MmGdbusModem *skeleton, GDBusMethodInvocation *invocation, gpointer user_data)
{
	FakeMmModem *modem = user_data;

	modem->reset_count++;
	mm_gdbus_modem_complete_reset (skeleton, invocation);
	if (modem->reset_hook != NULL)
		modem->reset_hook (modem, modem->reset_hook_data);
	/* like a real modem: it leaves the bus and is probed again under a new index */
	modem->resetting = TRUE;
	modem_unexport (modem);
	modem->reset_source_id = g_timeout_add (modem->reset_delay_ms, modem_reset_done_cb, modem);
	return TRUE;
}

/* ---- InhibitDevice ---- */

static FakeMmModem *
mm_find_modem (FakeModemManager *self, const gchar *uid)
{
	for (guint i = 0; i < self->modems->len; i++) {
		FakeMmModem *modem = g_ptr_array_index (self->modems, i);

		if (g_strcmp0 (modem->device, uid) == 0)
			return modem;
	}
	return NULL;
}

static void
modem_clear_inhibit (FakeMmModem *modem)
{
	if (modem->inhibit_watch_id != 0)
		g_bus_unwatch_name (modem->inhibit_watch_id);
	modem->inhibit_watch_id = 0;
	g_clear_pointer (&modem->inhibit_owner, g_free);
	modem->inhibited = FALSE;
}

static void
inhibit_owner_vanished_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	FakeMmModem *modem = user_data;

	/* ModemManager drops the inhibit of a caller that left the bus */
	g_debug ("fake MM: %s left the bus: releasing the inhibit of %s", name, modem->device);
	modem_clear_inhibit (modem);
	modem_export (modem);
}

/* Acts on one InhibitDevice call; FALSE with @error when it is refused. */
static gboolean
mm_apply_inhibit (FakeModemManager *self, const gchar *sender, const gchar *uid, gboolean inhibit,
                  GError **error)
{
	FakeMmModem *modem = mm_find_modem (self, uid);

	if (modem == NULL) {
		g_set_error (error, MM_CORE_ERROR, MM_CORE_ERROR_NOT_FOUND,
		             "No device found with uid '%s'", uid);
		return FALSE;
	}
	if (inhibit) {
		if (modem->inhibited) {
			g_set_error (error, MM_CORE_ERROR, MM_CORE_ERROR_IN_PROGRESS,
			             "Device '%s' is already inhibited", uid);
			return FALSE;
		}
		modem->inhibited = TRUE;
		modem->inhibit_owner = g_strdup (sender);
		modem->inhibit_watch_id = g_bus_watch_name_on_connection (self->connection, sender,
		                                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
		                                                          NULL,
		                                                          inhibit_owner_vanished_cb,
		                                                          modem, NULL);
		modem_unexport (modem);
		return TRUE;
	}
	if (!modem->inhibited || g_strcmp0 (modem->inhibit_owner, sender) != 0) {
		g_set_error (error, MM_CORE_ERROR, MM_CORE_ERROR_WRONG_STATE,
		             "Device '%s' is not inhibited by this caller", uid);
		return FALSE;
	}
	modem_clear_inhibit (modem);
	modem_export (modem);
	return TRUE;
}

static void
mm_reply_inhibit (FakeModemManager *self, GDBusMethodInvocation *invocation, const gchar *uid,
                  gboolean inhibit)
{
	g_autoptr(GError) error = NULL;

	if (!mm_apply_inhibit (self, g_dbus_method_invocation_get_sender (invocation), uid, inhibit,
	                       &error)) {
		g_dbus_method_invocation_return_gerror (invocation, error);
		return;
	}
	mm_gdbus_org_freedesktop_modem_manager1_complete_inhibit_device (self->manager, invocation);
}

static gboolean
mm_handle_inhibit_device (MmGdbusOrgFreedesktopModemManager1 *skeleton,
                          GDBusMethodInvocation *invocation,
                          const gchar *uid,
                          gboolean inhibit,
                          gpointer user_data)
{
	FakeModemManager *self = user_data;
	HeldInhibit *held;

	g_ptr_array_add (self->inhibit_log, g_strdup_printf ("%s:%d", uid, inhibit ? 1 : 0));
	switch (self->inhibit_mode) {
	case FAKE_MM_INHIBIT_FAIL:
		g_dbus_method_invocation_return_error (invocation, MM_CORE_ERROR, MM_CORE_ERROR_FAILED,
		                                       "fake ModemManager refuses to %sinhibit '%s'",
		                                       inhibit ? "" : "un", uid);
		return TRUE;
	case FAKE_MM_INHIBIT_HOLD:
		held = g_new0 (HeldInhibit, 1);
		held->invocation = g_object_ref (invocation);
		held->uid = g_strdup (uid);
		held->inhibit = inhibit;
		g_ptr_array_add (self->held, held);
		return TRUE;
	case FAKE_MM_INHIBIT_OK:
	default:
		mm_reply_inhibit (self, invocation, uid, inhibit);
		return TRUE;
	}
}

static void
held_inhibit_free (HeldInhibit *held)
{
	g_clear_object (&held->invocation);
	g_free (held->uid);
	g_free (held);
}

guint
fake_modemmanager_release_held (FakeModemManager *self)
{
	g_autoptr(GPtrArray) held = g_steal_pointer (&self->held);
	guint n = held->len;

	self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_inhibit_free);
	for (guint i = 0; i < held->len; i++) {
		HeldInhibit *call = g_ptr_array_index (held, i);
		mm_reply_inhibit (self, call->invocation, call->uid, call->inhibit);
	}
	g_ptr_array_set_free_func (held, (GDestroyNotify) held_inhibit_free);
	return n;
}

guint
fake_modemmanager_get_n_held (FakeModemManager *self)
{
	return self->held->len;
}

void
fake_modemmanager_set_inhibit_mode (FakeModemManager *self, FakeMmInhibitMode mode)
{
	self->inhibit_mode = mode;
}

GPtrArray *
fake_modemmanager_get_inhibit_log (FakeModemManager *self)
{
	return self->inhibit_log;
}

gboolean
fake_modemmanager_is_inhibited (FakeModemManager *self, const gchar *uid)
{
	FakeMmModem *modem = mm_find_modem (self, uid);
	return modem != NULL && modem->inhibited;
}

/* ---- the daemon: name and objects ---- */

static void
mm_name_acquired_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	FakeModemManager *self = user_data;
	self->name_owned = TRUE;
}

static void
mm_name_lost_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	FakeModemManager *self = user_data;
	self->name_owned = FALSE;
}

void
fake_modemmanager_start (FakeModemManager *self)
{
	g_autoptr(GError) error = NULL;

	g_assert_false (self->running);
	self->running = TRUE;
	self->next_modem_index = 0;
	g_dbus_object_manager_server_set_connection (self->server, self->connection);
	g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager), self->connection,
	                                  FAKE_MM_ROOT_PATH, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < self->modems->len; i++)
		modem_export (g_ptr_array_index (self->modems, i));
	self->owner_id = g_bus_own_name_on_connection (self->connection, FAKE_MM_BUS_NAME,
	                                               G_BUS_NAME_OWNER_FLAGS_NONE,
	                                               mm_name_acquired_cb, mm_name_lost_cb, self,
	                                               NULL);
	esim_test_wait_until_ms (FAKE_MM_NAME_WAIT_MS, self->name_owned,
	                         "the fake ModemManager to own %s", FAKE_MM_BUS_NAME);
}

void
fake_modemmanager_stop (FakeModemManager *self)
{
	if (!self->running)
		return;
	/* an exiting ModemManager answers nobody: held calls just fail */
	for (guint i = 0; i < self->held->len; i++) {
		HeldInhibit *held = g_ptr_array_index (self->held, i);
		g_dbus_method_invocation_return_error (held->invocation, MM_CORE_ERROR,
		                                       MM_CORE_ERROR_ABORTED, "ModemManager exits");
	}
	g_ptr_array_set_size (self->held, 0);
	g_bus_unown_name (self->owner_id);
	self->owner_id = 0;
	self->name_owned = FALSE;
	for (guint i = 0; i < self->modems->len; i++) {
		FakeMmModem *modem = g_ptr_array_index (self->modems, i);

		modem_unexport (modem);
		modem_clear_inhibit (modem);
		if (modem->reset_source_id != 0)
			g_source_remove (modem->reset_source_id);
		modem->reset_source_id = 0;
		modem->resetting = FALSE;
	}
	g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
	g_dbus_object_manager_server_set_connection (self->server, NULL);
	self->running = FALSE;
}

gboolean
fake_modemmanager_is_running (FakeModemManager *self)
{
	return self->running;
}

/* ---- modems ---- */

static void
ports_add (GVariantBuilder *builder, const gchar *path, MMModemPortType type)
{
	if (path == NULL)
		return;
	/* ModemManager lists port names: esimd opens "/dev/" + name */
	if (g_str_has_prefix (path, "/dev/"))
		path += strlen ("/dev/");
	g_variant_builder_add (builder, "(su)", path, (guint32) type);
}

FakeMmModem *
fake_modemmanager_add_modem (FakeModemManager *self, const FakeMmModemInfo *info)
{
	FakeMmModem *modem = g_new0 (FakeMmModem, 1);
	GVariantBuilder ports;

	g_assert_cmpuint (info->n_slots, <=, FAKE_MM_MAX_SLOTS);
	modem->mm = self;
	modem->device = g_strdup (info->device);
	modem->manufacturer = g_strdup (info->manufacturer != NULL ? info->manufacturer : "");
	modem->model = g_strdup (info->model != NULL ? info->model : "");
	modem->equipment_identifier = g_strdup (info->equipment_identifier != NULL ?
	                                        info->equipment_identifier : "000000000000000");
	modem->capabilities = info->capabilities;
	modem->state = MM_MODEM_STATE_DISABLED;
	modem->n_slots = info->n_slots;
	modem->primary_slot = info->n_slots > 0 ? CLAMP (info->primary_slot, 1, info->n_slots) : 0;
	modem->reset_delay_ms = 200;
	g_variant_builder_init (&ports, G_VARIANT_TYPE ("a(su)"));
	g_variant_builder_add (&ports, "(su)", "wwan0", (guint32) MM_MODEM_PORT_TYPE_NET);
	ports_add (&ports, info->qmi_port, MM_MODEM_PORT_TYPE_QMI);
	ports_add (&ports, info->mbim_port, MM_MODEM_PORT_TYPE_MBIM);
	ports_add (&ports, info->at_port, MM_MODEM_PORT_TYPE_AT);
	modem->ports = g_variant_ref_sink (g_variant_builder_end (&ports));
	g_ptr_array_add (self->modems, modem);
	modem_export (modem);
	return modem;
}

static void
modem_free (FakeMmModem *modem)
{
	modem_unexport (modem);
	modem_clear_inhibit (modem);
	if (modem->reset_source_id != 0)
		g_source_remove (modem->reset_source_id);
	for (guint i = 0; i <= FAKE_MM_MAX_SLOTS; i++)
		g_free (modem->sims[i].eid);
	g_variant_unref (modem->ports);
	g_free (modem->device);
	g_free (modem->manufacturer);
	g_free (modem->model);
	g_free (modem->equipment_identifier);
	g_free (modem);
}

void
fake_modemmanager_remove_modem (FakeModemManager *self, FakeMmModem *modem)
{
	/* the device is gone first; a held InhibitDevice on it then fails, as in ModemManager */
	modem_unexport (modem);
	for (guint i = 0; i < self->held->len;) {
		HeldInhibit *held = g_ptr_array_index (self->held, i);

		if (g_strcmp0 (held->uid, modem->device) != 0) {
			i++;
			continue;
		}
		g_dbus_method_invocation_return_error (held->invocation, MM_CORE_ERROR,
		                                       MM_CORE_ERROR_NOT_FOUND,
		                                       "Device '%s' was removed", held->uid);
		g_ptr_array_remove_index (self->held, i);
	}
	g_ptr_array_remove (self->modems, modem);
}

const gchar *
fake_mm_modem_get_path (FakeMmModem *modem)
{
	return modem->path;
}

guint
fake_mm_modem_get_index (FakeMmModem *modem)
{
	return modem->index;
}

static FakeMmSim *
modem_get_slot (FakeMmModem *modem, guint slot)
{
	if (modem->n_slots == 0)
		g_assert_cmpuint (slot, ==, 0);
	else
		g_assert_true (slot >= 1 && slot <= modem->n_slots);
	return &modem->sims[slot];
}

void
fake_mm_modem_set_sim (FakeMmModem *modem, guint slot, MMSimType type, MMSimEsimStatus status,
                       const gchar *eid)
{
	FakeMmSim *sim = modem_get_slot (modem, slot);

	sim_unexport (sim);
	sim->present = TRUE;
	sim->type = type;
	sim->status = status;
	g_free (sim->eid);
	sim->eid = g_strdup (eid);
	if (modem->object != NULL) {
		sim_export (modem, slot);
		modem_update_sim_properties (modem);
	}
}

void
fake_mm_modem_clear_sim (FakeMmModem *modem, guint slot)
{
	FakeMmSim *sim = modem_get_slot (modem, slot);

	sim_unexport (sim);
	sim->present = FALSE;
	modem_update_sim_properties (modem);
}

static gboolean
sim_reset_done_cb (gpointer user_data)
{
	SimReset *reset = user_data;
	FakeMmModem *modem = reset->modem;

	reset->source_id = 0;
	modem->sim_resets = g_slist_remove (modem->sim_resets, reset);
	sim_export (modem, reset->slot);
	modem_update_sim_properties (modem);
	sim_reset_free (reset);
	return G_SOURCE_REMOVE;
}

void
fake_mm_modem_sim_reset (FakeMmModem *modem, guint slot, guint down_ms)
{
	FakeMmSim *sim = modem_get_slot (modem, slot);
	SimReset *reset;

	if (!sim->present || modem->object == NULL)
		return;
	sim_unexport (sim);
	modem_update_sim_properties (modem);
	reset = g_new0 (SimReset, 1);
	reset->modem = modem;
	reset->slot = slot;
	reset->source_id = g_timeout_add (down_ms, sim_reset_done_cb, reset);
	modem->sim_resets = g_slist_prepend (modem->sim_resets, reset);
}

guint
fake_mm_modem_get_reset_count (FakeMmModem *modem)
{
	return modem->reset_count;
}

void
fake_mm_modem_set_reset_hook (FakeMmModem *modem, FakeMmModemHook hook, gpointer user_data)
{
	modem->reset_hook = hook;
	modem->reset_hook_data = user_data;
}

void
fake_mm_modem_set_reset_delay (FakeMmModem *modem, guint ms)
{
	modem->reset_delay_ms = ms;
}

/* ModemManager's Modem.State (ModemManager-enums.h MMModemState): CONNECTED (11)
 * while "one or more packet data bearers is active and connected"; the real
 * daemon changes the property (PropertiesChanged) and emits StateChanged (old,
 * new, reason) with it (org.freedesktop.ModemManager1.Modem.xml). */
void
fake_mm_modem_set_state (FakeMmModem *modem, MMModemState state)
{
	MMModemState old = modem->state;

	modem->state = state;
	if (modem->skeleton == NULL || old == state)
		return;
	mm_gdbus_modem_set_state (modem->skeleton, state);
	mm_gdbus_modem_emit_state_changed (modem->skeleton, old, state,
	                                   MM_MODEM_STATE_CHANGE_REASON_USER_REQUESTED);
}

/* ---- object ---- */

FakeModemManager *
fake_modemmanager_new (GDBusConnection *connection)
{
	FakeModemManager *self = g_new0 (FakeModemManager, 1);

	self->connection = g_object_ref (connection);
	self->server = g_dbus_object_manager_server_new (FAKE_MM_ROOT_PATH);
	self->manager = mm_gdbus_org_freedesktop_modem_manager1_skeleton_new ();
	mm_gdbus_org_freedesktop_modem_manager1_set_version (self->manager, "1.20.4-fake");
	g_signal_connect (self->manager, "handle-inhibit-device",
	                  G_CALLBACK (mm_handle_inhibit_device), self);
	self->modems = g_ptr_array_new_with_free_func ((GDestroyNotify) modem_free);
	self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_inhibit_free);
	self->inhibit_log = g_ptr_array_new_with_free_func (g_free);
	return self;
}

void
fake_modemmanager_free (FakeModemManager *self)
{
	if (self == NULL)
		return;
	fake_modemmanager_stop (self);
	g_ptr_array_unref (self->modems);
	g_ptr_array_unref (self->held);
	g_ptr_array_unref (self->inhibit_log);
	g_signal_handlers_disconnect_by_data (self->manager, self);
	g_object_unref (self->manager);
	g_object_unref (self->server);
	g_object_unref (self->connection);
	g_free (self);
}
