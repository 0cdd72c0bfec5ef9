/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake ModemManager inside the test process: org.freedesktop.ModemManager1
 * on a (private) bus connection, built from libmm-glib's generated skeletons.
 * It exposes modems (Ports, Device, Manufacturer, Model, SimSlots,
 * PrimarySimSlot, Sim) under /org/freedesktop/ModemManager1/Modem/N and SIM
 * objects (SimType, EsimStatus, Eid) under /org/freedesktop/ModemManager1/SIM/N.
 *
 * Like the real daemon, InhibitDevice (uid, TRUE) removes the modem object and
 * (uid, FALSE) brings it back under a new index; an inhibit is dropped when its
 * caller leaves the bus.  Modem.Reset() takes the modem away and brings it back
 * the same way.  Everything runs in the default main context of the test.
 */
#pragma once

#include <gio/gio.h>
#include <ModemManager.h>

G_BEGIN_DECLS

typedef struct _FakeModemManager FakeModemManager;
typedef struct _FakeMmModem FakeMmModem;

#define FAKE_MM_BUS_NAME "org.freedesktop.ModemManager1"

typedef struct {
	const gchar *device;       /* Modem.Device: the uid InhibitDevice takes */
	const gchar *manufacturer;
	const gchar *model;
	const gchar *qmi_port;     /* device paths ("/dev/pts/7"), NULL when absent */
	const gchar *mbim_port;
	const gchar *at_port;
	guint        n_slots;      /* 0: no SimSlots, only the Sim property */
	guint        primary_slot; /* 1-based; used when n_slots > 0 */
	/* Modem.EquipmentIdentifier: the IMEI of a 3GPP modem, as ModemManager reads it
	 * with AT+CGSN or QMI DMS Get IDs (mm-modem.h); NULL: all zeros */
	const gchar *equipment_identifier;
	guint        capabilities; /* Modem.CurrentCapabilities (MMModemCapability); 0: none */
} FakeMmModemInfo;

typedef enum {
	FAKE_MM_INHIBIT_OK,   /* act and reply at once */
	FAKE_MM_INHIBIT_FAIL, /* reply with an error, change nothing */
	FAKE_MM_INHIBIT_HOLD, /* keep the call until fake_modemmanager_release_held() */
} FakeMmInhibitMode;

typedef void (*FakeMmModemHook) (FakeMmModem *modem, gpointer user_data);

FakeModemManager *fake_modemmanager_new (GDBusConnection *connection);
void              fake_modemmanager_free (FakeModemManager *self);

/* Exports the objects and owns the bus name; returns once the name is owned. */
void              fake_modemmanager_start (FakeModemManager *self);
/* Releases the name and unexports everything (modems are kept for a restart);
 * inhibits are forgotten, as when ModemManager exits. */
void              fake_modemmanager_stop (FakeModemManager *self);
gboolean          fake_modemmanager_is_running (FakeModemManager *self);

FakeMmModem      *fake_modemmanager_add_modem (FakeModemManager *self, const FakeMmModemInfo *info);
/* The modem is unplugged: its objects go away; held inhibit calls on it fail. */
void              fake_modemmanager_remove_modem (FakeModemManager *self, FakeMmModem *modem);

/* InhibitDevice behaviour, and the calls seen as "uid:1" / "uid:0" in order. */
void              fake_modemmanager_set_inhibit_mode (FakeModemManager *self,
                                                      FakeMmInhibitMode mode);
guint             fake_modemmanager_release_held (FakeModemManager *self);
guint             fake_modemmanager_get_n_held (FakeModemManager *self);
GPtrArray        *fake_modemmanager_get_inhibit_log (FakeModemManager *self);
gboolean          fake_modemmanager_is_inhibited (FakeModemManager *self, const gchar *uid);

/* The modem's object path now; NULL while it is not exported. */
const gchar      *fake_mm_modem_get_path (FakeMmModem *modem);
guint             fake_mm_modem_get_index (FakeMmModem *modem);
/* Puts a SIM in @slot (1-based; 0 when the modem has no SimSlots). */
void              fake_mm_modem_set_sim (FakeMmModem *modem, guint slot, MMSimType type,
                                         MMSimEsimStatus status, const gchar *eid);
void              fake_mm_modem_clear_sim (FakeMmModem *modem, guint slot);
/* The SIM in @slot disappears now and comes back under a new path after
 * @down_ms, as ModemManager shows a card reset after a profile switch. */
void              fake_mm_modem_sim_reset (FakeMmModem *modem, guint slot, guint down_ms);
/* Modem.Reset(): how often it was called, and a hook run on each call. */
guint             fake_mm_modem_get_reset_count (FakeMmModem *modem);
void              fake_mm_modem_set_reset_hook (FakeMmModem *modem, FakeMmModemHook hook,
                                                gpointer user_data);
/* Milliseconds between a Reset() and the modem coming back (default 200). */
void              fake_mm_modem_set_reset_delay (FakeMmModem *modem, guint ms);
/* Modem.State (default disabled), e.g. MM_MODEM_STATE_CONNECTED when a data
 * bearer is up; kept across re-exports. */
void              fake_mm_modem_set_state (FakeMmModem *modem, MMModemState state);

G_END_DECLS
