/**
 * Documentation the remediation and readiness packs link to (docs/domain.md §1–§2). Kept in one
 * place so a moved page is fixed once; only learn.microsoft.com pages, because admins trust and can
 * act on those.
 */

/** One documentation link as it appears in a remediation. */
export interface RemediationLink {
  title: string;
  url: string;
}

/** KB 3169958: the 2017 relay-attribution rule and the certificate-connector steps. */
export const LINK_OFFICE_365_NOTICE: RemediationLink = {
  title: 'Relay Access Denied ATTR36 after the July 2017 change (KB 3169958)',
  url: 'https://learn.microsoft.com/troubleshoot/exchange/email-delivery/office-365-notice',
};

/** The November 2023 rule: P1 or certificate domain must be accepted; header From no longer counts. */
export const LINK_UPDATED_REQUIREMENTS: RemediationLink = {
  title: 'Updated requirements for SMTP relay through Exchange Online',
  url: 'https://learn.microsoft.com/exchange/mail-flow-best-practices/updated-requirements-smtp-relay',
};

/** 5.7.64 TenantAttribution without ATTR36: connector certificate or IP mismatch. */
export const LINK_RELAY_ACCESS_DENIED: RemediationLink = {
  title: 'Fix NDR error 550 5.7.64 TenantAttribution; Relay Access Denied',
  url: 'https://learn.microsoft.com/exchange/troubleshoot/email-delivery/ndr/relay-access-denied-smtp',
};

/** Reference of Exchange Online NDR codes, including 4.4.62 ATTR35. */
export const LINK_NDR_REFERENCE: RemediationLink = {
  title: 'Email non-delivery reports and SMTP errors in Exchange Online',
  url: 'https://learn.microsoft.com/exchange/troubleshoot/email-delivery/ndr/non-delivery-reports-in-exchange-online',
};

/** How devices and applications relay: smart host = the tenant's MX endpoint, connector set-up. */
export const LINK_DEVICE_RELAY: RemediationLink = {
  title: 'How to set up a multifunction device or application to send email using Microsoft 365',
  url: 'https://learn.microsoft.com/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365',
};

export const LINK_SET_INBOUND_CONNECTOR: RemediationLink = {
  title: 'Set-InboundConnector (Exchange Online PowerShell)',
  url: 'https://learn.microsoft.com/powershell/module/exchangepowershell/set-inboundconnector',
};

export const LINK_NEW_INBOUND_CONNECTOR: RemediationLink = {
  title: 'New-InboundConnector (Exchange Online PowerShell)',
  url: 'https://learn.microsoft.com/powershell/module/exchangepowershell/new-inboundconnector',
};

export const LINK_ADD_DOMAIN: RemediationLink = {
  title: 'Add a domain to Microsoft 365',
  url: 'https://learn.microsoft.com/microsoft-365/admin/setup/add-domain',
};

export const LINK_HYBRID_CERTIFICATES: RemediationLink = {
  title: 'Certificate requirements for hybrid deployments',
  url: 'https://learn.microsoft.com/exchange/certificate-requirements',
};
