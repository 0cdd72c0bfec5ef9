/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the software eUICC shared by its source files:
 *   esim-veuicc.c          GObject, APDU layer (channels, SELECT, STORE DATA, GET RESPONSE)
 *   esim-veuicc-state.c    persistent state: demo content, key file load/validate/save
 *   esim-veuicc-es10.c     the ES10 functions (request TLV -> response TLV)
 *   esim-veuicc-crypto.c   credentials or EUM/eUICC keys of its own, signatures
 *   esim-veuicc-download.c the RSP session: AuthenticateServer, PrepareDownload, CancelSession
 *   esim-veuicc-bpp.c      LoadBoundProfilePackage: segments, metadata, install, its result
 */
#pragma once

#include <gio/gio.h>

#include "esim-bsp.h"
#include "esim-cert.h"
#include "esim-der.h"
#include "esim-ecka.h"
#include "esim-file.h"
#include "esim-tags.h"
#include "esim-veuicc.h"

G_BEGIN_DECLS

/* Logical channels 0 (basic) to 3. */
#define VEUICC_N_CHANNELS 4
/* Current version of the state file format. */
#define VEUICC_STATE_VERSION 1
/* Bounds that keep a hostile state file or request from growing the card without limit. */
#define VEUICC_MAX_PROFILES 64
/* The most profile element bytes one download may bring (a profile is tens of KiB) */
#define VEUICC_MAX_PROFILE_SIZE (1024 * 1024)
/* Free NVM the card reports per profile it still has room for (extCardResource) */
#define VEUICC_NVM_PER_PROFILE 0x10000u
/* forbiddenProfilePolicyRules of EUICCInfo2: ppr1 (disabling not allowed) */
#define VEUICC_FORBIDDEN_PPRS (1u << 1)
#define VEUICC_MAX_EIMS 8
#define VEUICC_MAX_NOTIFICATIONS 256
/* A full card's file is a few hundred KiB at most (8 eIMs with certificates, 256 notifications) */
#define VEUICC_MAX_STATE_FILE_SIZE (1024 * 1024)
/* Functions a test may make the card refuse ([faults] in the state file) */
#define VEUICC_MAX_FAULTS 32

#define VEUICC_ROOT_DS_DEFAULT "testrootsmds.example.com"
#define VEUICC_NOTIFICATION_ADDRESS_DEFAULT "smdp.example.com"

/* ProfileClass (SGP.22) */
typedef enum {
	VEUICC_CLASS_TEST = 0,
	VEUICC_CLASS_PROVISIONING = 1,
	VEUICC_CLASS_OPERATIONAL = 2,
} VeuiccProfileClass;

/* NotificationEvent named bits (SGP.22) */
typedef enum {
	VEUICC_EVENT_INSTALL = 0,
	VEUICC_EVENT_ENABLE = 1,
	VEUICC_EVENT_DISABLE = 2,
	VEUICC_EVENT_DELETE = 3,
} VeuiccEvent;
#define VEUICC_N_EVENTS 4

typedef struct {
	gchar             *iccid;      /* digits, as given */
	guint8             iccid_bcd[10];
	guint8             aid[16];    /* ISD-P AID */
	gchar             *name;
	gchar             *provider;
	gchar             *nickname;   /* NULL when unset */
	/* where each VeuiccEvent is notified (notificationConfigurationInfo of the
	 * metadata); NULL: that event is not notified */
	gchar             *event_address[VEUICC_N_EVENTS];
	VeuiccProfileClass klass;
	gboolean           enabled;
	gboolean           preloaded;  /* part of the card at manufacture (memory reset bit 3) */
} VeuiccProfile;

typedef struct {
	guint64     seq;
	VeuiccEvent event;
	gchar      *iccid;           /* may be NULL */
	gchar      *address;
	guint8      signature[64];   /* r || s over the DER of the BF2F metadata */
	GBytes     *pir;             /* install: the signed ProfileInstallationResult (BF37) as
	                              * it was returned; NULL for an OtherSignedNotification */
} VeuiccNotification;

typedef struct {
	GBytes  *config;             /* EimConfigurationData (30 …) as received */
	gchar   *eim_id;
	gboolean has_token;          /* the eIM asked for an association token */
	gint64   token;
	gboolean has_counter;
	gint64   counter;
} VeuiccEim;

/* A refusal a test asked for: the card answers this ES10 function with @sw, or
 * (sw 0) with an error result code, whatever the request. */
typedef struct {
	EsimTag tag;
	guint16 sw;
} VeuiccFault;

typedef struct _VeuiccCrypto VeuiccCrypto;
typedef struct _VeuiccDownload VeuiccDownload;
typedef struct _VeuiccBppLoad VeuiccBppLoad;

typedef struct {
	gboolean    open;
	gboolean    isdr_selected;
	GByteArray *request;         /* STORE DATA blocks received so far, NULL when idle */
	guint       next_block;
	GBytes     *pending;         /* response waiting for GET RESPONSE */
	gsize       pending_offset;
} VeuiccChannel;

struct _EsimVeuicc {
	GObject        parent_instance;
	gchar         *path;         /* NULL when ephemeral; symbolic links resolved */
	EsimFileId     file_id;      /* of the file at @path as last read or written */
	gchar         *eid;
	GPtrArray     *profiles;     /* VeuiccProfile */
	GPtrArray     *notifications; /* VeuiccNotification, ascending seq */
	GPtrArray     *eims;         /* VeuiccEim */
	guint64        next_seq;     /* never reused, persisted */
	gint64         next_token;
	gchar         *default_dp_address; /* NULL when unset */
	gchar         *root_ds_address;
	VeuiccCrypto  *crypto;
	gchar         *credentials;  /* [card] credentials as written (NULL: keys of its own) */
	guint          max_profiles; /* profiles the card has room for */
	gboolean       from_seed;    /* loaded from a seed file: to be saved in full */
	VeuiccDownload *download;    /* RSP session (volatile); NULL until the first challenge */
	VeuiccBppLoad *bpp_load;     /* a bound profile package being loaded; NULL otherwise */
	GArray        *faults;       /* VeuiccFault, from [faults]; kept as loaded */
	gchar         *saved_state;  /* the key file as the disk holds it; NULL when ephemeral */
	VeuiccChannel  channels[VEUICC_N_CHANNELS];
};

/* esim-veuicc-state.c */
void           veuicc_profile_free (VeuiccProfile *profile);
void           veuicc_notification_free (VeuiccNotification *notification);
void           veuicc_eim_free (VeuiccEim *eim);
/* A new card: keys of its own and a fresh EID, or (@credentials not NULL) the
 * identity of those credentials; two demo profiles. */
gboolean       veuicc_state_init_fresh (EsimVeuicc *self, const gchar *credentials, GError **error);
/* Loads the credentials @dir names (relative to the state file's directory when
 * relative) into self->crypto. */
gboolean       veuicc_state_load_credentials (EsimVeuicc *self, const gchar *dir, GError **error);
/* Loads self->path; FALSE with *missing set (and no error) when there is no file. */
gboolean       veuicc_state_load (EsimVeuicc *self, gboolean *missing, GError **error);
/* Deletes the temporaries a killed save left next to self->path, and names
 * older ones it cannot tell from a user's copy. */
void           veuicc_state_remove_leftovers (EsimVeuicc *self);
gboolean       veuicc_state_save (EsimVeuicc *self, GError **error);
/* Saves a change; if that fails, the state last saved is put back in memory, so
 * the card never holds a change its file does not. */
gboolean       veuicc_state_commit (EsimVeuicc *self, GError **error);
/* Wipes and frees the copy of the saved key file (it holds the private keys). */
void           veuicc_state_clear_saved (EsimVeuicc *self);
VeuiccProfile *veuicc_find_profile_by_iccid_bcd (EsimVeuicc *self, const guint8 *bcd, gsize len);
VeuiccProfile *veuicc_find_profile_by_aid (EsimVeuicc *self, const guint8 *aid, gsize len);
VeuiccProfile *veuicc_find_enabled_profile (EsimVeuicc *self);
const VeuiccFault *veuicc_find_fault (EsimVeuicc *self, EsimTag tag);
gboolean       veuicc_add_profile_full (EsimVeuicc *self, const gchar *iccid, const gchar *name,
                                        const gchar *provider, VeuiccProfileClass klass,
                                        gboolean enabled, gboolean preloaded, GError **error);
/* Queues the signed notification of @event for @profile, if its metadata asks
 * for one (TRUE and nothing queued otherwise). */
gboolean       veuicc_queue_notification (EsimVeuicc *self, VeuiccEvent event,
                                          const VeuiccProfile *profile, GError **error);
/* Queues a ProfileInstallationResult (BF37) whose metadata is @notification's;
 * takes @notification. */
void           veuicc_queue_installation_result (EsimVeuicc *self, VeuiccNotification *notification);
GBytes        *veuicc_notification_metadata (const VeuiccNotification *notification);
gboolean       veuicc_parse_profile_class (const gchar *str, VeuiccProfileClass *out);
/* Validates an EimConfigurationData (30 TLV); fills @eim (config not set). */
gboolean       veuicc_eim_config_parse (const EsimTlv *tlv, VeuiccEim *eim, GBytes **ci_pkid,
                                        GError **error);

/* esim-veuicc-es10.c */
/* Runs one ES10 function.  Returns the response TLV (possibly empty) and sets *sw
 * to 9000, or returns NULL and sets *sw to an ISO status word. */
GBytes        *veuicc_es10_dispatch (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw);
/* The card's EUICCInfo2 (BF22), as GetEUICCInfo2 answers and euiccSigned1 carries it. */
GBytes        *veuicc_es10_euicc_info2 (EsimVeuicc *self);
/* Persists a change; FALSE (and *sw = 6581) when the card's file cannot take it,
 * after which the caller must return at once (the state was rolled back). */
gboolean       veuicc_es10_commit (EsimVeuicc *self, guint16 *sw);

/* esim-veuicc-download.c: the RSP session (SGP.22 §3.1.3, §5.7) */
void           veuicc_download_free (VeuiccDownload *download);
/* Drops the session (card reset, new challenge, end of a download). */
void           veuicc_download_end_session (EsimVeuicc *self);
/* GetEuiccChallenge: a new session with a fresh challenge. */
GBytes        *veuicc_download_get_challenge (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_download_authenticate_server (EsimVeuicc *self, const EsimTlv *request,
                                                    guint16 *sw);
GBytes        *veuicc_download_prepare_download (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_download_cancel_session (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
/* DER of a dotted OID's value (for smdpOid); NULL if @dotted is not one. */
GBytes        *veuicc_oid_encode (const gchar *dotted);

/* What LoadBoundProfilePackage needs of the session PrepareDownload left. */
typedef struct {
	GBytes      *transaction_id;
	const gchar *server_address;
	const gchar *smdp_oid;       /* of the DPpb certificate */
	EsimCert    *dp_pb;
	EsimEckaKey *ot_key;         /* otSK/otPK.EUICC.ECKA */
} VeuiccPrepared;
/* The prepared session; FALSE when PrepareDownload did not succeed in this one. */
gboolean       veuicc_download_get_prepared (EsimVeuicc *self, VeuiccPrepared *out);
/* The install of the prepared session succeeded: the one-time key is spent. */
void           veuicc_download_installed (EsimVeuicc *self);

/* esim-veuicc-bpp.c: LoadBoundProfilePackage (SGP.22 §5.7.6, segments per §2.5.5) */
void           veuicc_bpp_load_free (VeuiccBppLoad *load);
/* TRUE when @data is a segment of a bound profile package for this card: a
 * BF36 header, or any segment while a package is being loaded. */
gboolean       veuicc_bpp_is_segment (EsimVeuicc *self, const guint8 *data, gsize len);
GBytes        *veuicc_bpp_load_segment (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw);
/* Abandons a package being loaded (nothing of it stays on the card). */
void           veuicc_bpp_abandon (EsimVeuicc *self);
/* For the fuzz target only: a package under way as if its InitialiseSecureChannel
 * had been verified, protected with @keys, @bpp_left bytes of BF36 to come. */
void           veuicc_bpp_begin_unverified (EsimVeuicc *self, const EsimBspKeys *keys, gsize bpp_left);

/* StoreMetadataRequest (BF25) as the card reads it. */
typedef struct {
	gchar              *iccid;
	gchar              *name;
	gchar              *provider;
	VeuiccProfileClass  klass;
	gchar              *event_address[VEUICC_N_EVENTS];
	guint32             ppr_ids;
} VeuiccMetadata;
void           veuicc_metadata_free (VeuiccMetadata *meta);
/* Strict parse; on failure *@reason (optional) is the ErrorReason a card gives:
 * incorrectInputValues (1) or unsupportedProfileClass (6). */
VeuiccMetadata *veuicc_metadata_parse (const guint8 *data, gsize len, guint *reason, GError **error);
/* The ICCID of a profile's ProfileHeader (the first profile element), checking
 * that the elements are well-formed TLVs ending with PE-End. */
gchar         *veuicc_profile_elements_iccid (const guint8 *data, gsize len, GError **error);
/* esim-veuicc-crypto.c */
VeuiccCrypto  *veuicc_crypto_generate (const gchar *eid, GError **error);
VeuiccCrypto  *veuicc_crypto_new_from_credentials (const gchar *dir, GError **error);
/* NULL for keys of its own */
const gchar   *veuicc_crypto_get_credentials_dir (VeuiccCrypto *crypto);
const gchar   *veuicc_crypto_get_credentials_eid (VeuiccCrypto *crypto);
VeuiccCrypto  *veuicc_crypto_load (const gchar *eum_key_pem, const gchar *eum_cert_pem,
                                   const gchar *euicc_key_pem, const gchar *euicc_cert_pem,
                                   const gchar *eid, GError **error);
void           veuicc_crypto_free (VeuiccCrypto *crypto);
const gchar   *veuicc_crypto_get_pem (VeuiccCrypto *crypto, guint idx); /* 0..3 as in _load(); NULL for credentials */
GBytes        *veuicc_crypto_get_eum_certificate (VeuiccCrypto *crypto);   /* DER */
GBytes        *veuicc_crypto_get_euicc_certificate (VeuiccCrypto *crypto); /* DER */
GPtrArray     *veuicc_crypto_get_ci_pkids (VeuiccCrypto *crypto);          /* GBytes, owned */
gboolean       veuicc_crypto_has_ci_pkid (VeuiccCrypto *crypto, const guint8 *pkid, gsize len);
GPtrArray     *veuicc_crypto_get_cis (VeuiccCrypto *crypto);               /* EsimCert, owned */
gboolean       veuicc_crypto_sign (VeuiccCrypto *crypto, const guint8 *data, gsize len,
                                   guint8 signature[64], GError **error);
void           veuicc_crypto_random (guint8 *buf, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccCrypto, veuicc_crypto_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccProfile, veuicc_profile_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccNotification, veuicc_notification_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccMetadata, veuicc_metadata_free)

G_END_DECLS
