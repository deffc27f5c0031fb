/**
 * Documentation the readiness pack links to: the remediation pack's KB pages plus the cmdlet and
 * set-up pages an admin needs to act on a configuration finding (learn.microsoft.com only).
 */
import {
  LINK_OFFICE_365_NOTICE,
  LINK_RELAY_ACCESS_DENIED,
  LINK_UPDATED_REQUIREMENTS,
  type RemediationLink,
} from '../../remediation/links.js';

export { LINK_OFFICE_365_NOTICE, LINK_RELAY_ACCESS_DENIED, LINK_UPDATED_REQUIREMENTS };

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
