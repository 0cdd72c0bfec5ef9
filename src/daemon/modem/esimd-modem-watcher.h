/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The modem watcher: follows ModemManager on esimd's bus (it may be absent,
 * appear later, restart or lose modems at any time) and reports every eUICC
 * it finds on a modem: a SIM whose SimType is esim or that has an EID, with
 * the port to reach it (QMI, else MBIM, else AT for modems with neither) and
 * its slot.  It also carries out what esimd asks of ModemManager: inhibiting
 * a device and resetting a modem.
 *
 * Built without libmm-glib, the watcher never sees ModemManager.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIMD_MM_BUS_NAME "org.freedesktop.ModemManager1"

/* One eUICC on one modem, as ModemManager shows it. */
typedef struct {
	gchar   *uid;          /* Modem.Device: the key for InhibitDevice */
	gchar   *modem_path;   /* the modem's object path now */
	gchar   *manufacturer;
	gchar   *model;
	gchar   *transport;    /* "qmi", "mbim" or "at" */
	gchar   *port;         /* "/dev/" + the port name */
	guint    slot;         /* 1-based index in SimSlots; 0 when the modem has none */
	gboolean active;       /* the slot is the primary one */
	guint16  vid;          /* USB ids read under Device in sysfs, 0 if unknown */
	guint16  pid;
	gchar   *eid;          /* as ModemManager reports it, NULL if none */
	gchar   *imei;         /* Modem.EquipmentIdentifier when it is an IMEI (15 digits,
	                        * Luhn check), NULL otherwise: the download's deviceInfo */
	guint    radios;       /* EsimDeviceRadio bits from Modem.CurrentCapabilities */
} EsimdModemEuicc;

EsimdModemEuicc *esimd_modem_euicc_copy (const EsimdModemEuicc *info);
void             esimd_modem_euicc_free (EsimdModemEuicc *info);
gboolean         esimd_modem_euicc_equal (const EsimdModemEuicc *a, const EsimdModemEuicc *b);
/* "uid#slot": the same eUICC keeps its key when the modem comes back under a new path. */
gchar           *esimd_modem_euicc_get_key (const EsimdModemEuicc *info);
/* "Manufacturer Model" (either may be missing). */
gchar           *esimd_modem_euicc_get_model_string (const EsimdModemEuicc *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdModemEuicc, esimd_modem_euicc_free)

#define ESIMD_TYPE_MODEM_WATCHER (esimd_modem_watcher_get_type ())
G_DECLARE_FINAL_TYPE (EsimdModemWatcher, esimd_modem_watcher, ESIMD, MODEM_WATCHER, GObject)

/*
 * Signals:
 *  "euicc-added" (const EsimdModemEuicc *info): a new eUICC, or one whose
 *      modem path, port or model changed (same key), or again one whose port
 *      was refused while another modem held it and is free now (see
 *      esimd_modem_channel_new()).
 *  "euicc-removed" (const EsimdModemEuicc *info, gboolean modemmanager_gone):
 *      its SIM or modem went away, or ModemManager left the bus.
 *  "data-connected" (const gchar *uid): the modem with Modem.Device @uid
 *      reports its data connection up (Modem.State connected), or appeared
 *      connected.
 * Property "running" (boolean): ModemManager is on the bus and being followed.
 */
EsimdModemWatcher *esimd_modem_watcher_new (GDBusConnection *connection);
/* Starts following ModemManager; logs whether it is running. */
void               esimd_modem_watcher_start (EsimdModemWatcher *self);
gboolean           esimd_modem_watcher_is_running (EsimdModemWatcher *self);

/* InhibitDevice (uid, @inhibit).  ModemManager drops esimd's inhibits when
 * esimd leaves the bus. */
void               esimd_modem_watcher_inhibit_async (EsimdModemWatcher *self, const gchar *uid,
                                                      gboolean inhibit, GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean           esimd_modem_watcher_inhibit_finish (EsimdModemWatcher *self, GAsyncResult *res,
                                                       GError **error);
/* Modem.Reset() on the modem with @uid (which must be on the bus). */
void               esimd_modem_watcher_reset_modem_async (EsimdModemWatcher *self,
                                                          const gchar *uid,
                                                          GCancellable *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer user_data);
gboolean           esimd_modem_watcher_reset_modem_finish (EsimdModemWatcher *self,
                                                           GAsyncResult *res, GError **error);

G_END_DECLS
