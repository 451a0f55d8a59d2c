#include "cli/demo_data.h"

#include <tuple>

namespace rapport::cli::demo {

const std::vector<RelationshipSeed>& Relationships() {
  using R = v1::Relationship;
  using S = v1::Stakeholder;
  using I = v1::Interaction;
  static const auto* const seeds = new std::vector<RelationshipSeed>{
      {"finance",
       "Finance",
       R::INTERNAL_BUSINESS_UNIT,
       R::STRATEGIC,
       R::ACTIVE,
       "lena.hoffmann",
       "emea",
       "finance.nordwind.example",
       "Accounting, controlling and treasury; month-end close depends on the ERP.",
       {"erp", "email", "service-desk"},
       1.6,
       6,
       0.4,
       {{"cfo", "Katrin Vogel", "CFO", 5, 4, S::CHAMPION},
        {"head-accounting", "Tobias Klein", "Head of accounting", 3, 5, S::SUPPORTER},
        {"controller", "Aylin Demir", "Group controller", 3, 3, S::NEUTRAL}},
       {{80, I::BUSINESS_REVIEW, 1, "Quarterly service review: ERP stable, e-invoicing next",
         "Send the e-invoicing proposal", 60},
        {41, I::MEETING, 0, "Month-end close planning with accounting", nullptr, 0},
        {17, I::COMPLAINT, -2, "ERP outage during month-end close delayed the ledger by a day",
         "Post-incident review with the CFO", 10},
        {9, I::COMPLIMENT, 2, "Thanks for the quick recovery and the clear updates", nullptr, 0}}},
      {"warehouse",
       "Warehouse operations",
       R::INTERNAL_BUSINESS_UNIT,
       R::STRATEGIC,
       R::ACTIVE,
       "jan.becker",
       "emea",
       "ops.nordwind.example",
       "Three distribution centres; scanners and the warehouse system run around the clock.",
       {"wms", "network", "erp"},
       1.8,
       7,
       0.1,
       {{"coo", "Henrik Larsen", "COO", 5, 3, S::SUPPORTER},
        {"site-lead-hamburg", "Marta Nowak", "Site lead Hamburg", 3, 5, S::CRITIC},
        {"shift-manager", "Deniz Yilmaz", "Shift manager", 2, 5, S::NEUTRAL}},
       {{70, I::BUSINESS_REVIEW, 0, "Quarterly review: scanner fleet ageing, WMS upgrade planned",
         "Quote for the scanner refresh", 40},
        {23, I::COMPLAINT, -1, "Scanners in hall 3 drop off the network several times a shift",
         "Wi-Fi survey in hall 3", 5},
        {6, I::CALL, 1, "Night shift went smoothly after the access point swap", nullptr, 0}}},
      {"sales",
       "Sales and customer service",
       R::INTERNAL_BUSINESS_UNIT,
       R::KEY,
       R::ACTIVE,
       "amira.haddad",
       "emea",
       "sales.nordwind.example",
       "Account managers and the customer service desk.",
       {"email", "tracking-portal", "service-desk"},
       1.0,
       5,
       0.3,
       {{"head-sales", "Julia Brandt", "Head of sales", 4, 3, S::SUPPORTER},
        {"cs-lead", "Omar Said", "Customer service lead", 2, 4, S::CHAMPION}},
       {{55, I::MEETING, 1, "Roadmap of the tracking portal with the sales leads", nullptr, 0},
        {12, I::EMAIL, 0, "Asked for a weekly report of portal incidents", "Set up the report",
         2}}},
      {"hr",
       "Human resources",
       R::INTERNAL_BUSINESS_UNIT,
       R::STANDARD,
       R::ACTIVE,
       "amira.haddad",
       "emea",
       "hr.nordwind.example",
       "People, payroll and recruiting.",
       {"email", "service-desk"},
       0.5,
       3,
       0.5,
       {{"chro", "Sabine Wolf", "CHRO", 4, 2, S::NEUTRAL}},
       {{95, I::BUSINESS_REVIEW, 1, "Yearly review: satisfied, wants self-service password resets",
         nullptr, 0}}},
      {"acme-retail",
       "Acme Retail GmbH",
       R::EXTERNAL_CUSTOMER,
       R::STRATEGIC,
       R::AT_RISK,
       "lena.hoffmann",
       "emea",
       "acme-retail.example",
       "Largest retail customer; shipment data flows to its stores through the tracking portal.",
       {"tracking-portal", "network"},
       0.9,
       4,
       -1.2,
       {{"cio", "Frank Meyer", "CIO", 5, 3, S::CRITIC},
        {"logistics-director", "Eva Fischer", "Logistics director", 4, 5, S::NEUTRAL},
        {"edi-lead", "Paul Schulz", "EDI team lead", 2, 5, S::SUPPORTER}},
       {{62, I::BUSINESS_REVIEW, -1, "Contract review: SLAs met, but tracking data often late",
         "Root cause of late tracking updates", 30},
        {33, I::COMPLAINT, -2, "Store deliveries planned on stale tracking data twice this month",
         "Escalate the data latency to the portal team", 25},
        {14, I::CALL, -1, "CIO considering a second logistics provider", "Executive call", 3},
        {4, I::MEETING, 0, "Workshop on the EDI integration", nullptr, 0}}},
      {"globex",
       "Globex Shipping Inc.",
       R::EXTERNAL_CUSTOMER,
       R::KEY,
       R::ACTIVE,
       "jan.becker",
       "amer",
       "globex.example",
       "US partner forwarding; works New York office hours.",
       {"tracking-portal"},
       0.6,
       3,
       0.4,
       {{"vp-ops", "Michael Carter", "VP operations", 4, 3, S::SUPPORTER},
        {"it-manager", "Sarah Lopez", "IT manager", 3, 4, S::CHAMPION}},
       {{48, I::BUSINESS_REVIEW, 1, "Quarterly review over video: happy with the portal", nullptr,
         0},
        {20, I::EMAIL, 0, "Asked about API rate limits for the holiday peak", nullptr, 0}}},
      {"initech-asia",
       "Initech Asia Pte. Ltd.",
       R::EXTERNAL_CUSTOMER,
       R::STANDARD,
       R::ACTIVE,
       "amira.haddad",
       "apac",
       "initech-asia.example",
       "Singapore importer; Singapore office hours.",
       {"tracking-portal", "network"},
       0.4,
       2,
       0.0,
       {{"director", "Wei Ling Tan", "Director", 4, 2, S::NEUTRAL}},
       {{36, I::CALL, 0, "VPN to the Singapore office unstable in the afternoons",
         "Check the carrier's link", 20}}},
      {"cloudcore",
       "CloudCore Hosting",
       R::SUPPLIER,
       R::KEY,
       R::ACTIVE,
       "jan.becker",
       "emea",
       "cloudcore.example",
       "Hosts the tracking portal and the ERP's disaster recovery site.",
       {},
       0,
       0,
       0,
       {{"account-manager", "Lars Schmitt", "Account manager", 3, 3, S::SUPPORTER}},
       {{27, I::MEETING, 0, "Capacity planning for the holiday peak", nullptr, 0}}},
  };
  return *seeds;
}

const std::vector<ServiceSeed>& Services() {
  static const auto* const seeds = new std::vector<ServiceSeed>{
      {"erp", "ERP (finance and logistics)", "erp-team", v1::Service::CRITICAL,
       "Ledger, invoicing, purchasing and stock."},
      {"wms", "Warehouse management", "logistics-apps", v1::Service::CRITICAL,
       "Picking, packing and the scanner fleet of the distribution centres."},
      {"tracking-portal", "Shipment tracking portal", "web-team", v1::Service::HIGH,
       "Customers' view of their shipments, with an API and EDI feeds."},
      {"network", "WAN and VPN", "network-team", v1::Service::HIGH,
       "Links between sites and customers' VPNs."},
      {"email", "E-mail and calendar", "messaging-team", v1::Service::MEDIUM, ""},
      {"service-desk", "Service desk", "service-desk", v1::Service::MEDIUM,
       "Phone, chat and portal support for every employee."},
  };
  return *seeds;
}

const std::vector<AgreementSeed>& Agreements() {
  using A = v1::Agreement;
  static const auto* const seeds = new std::vector<AgreementSeed>{
      {"erp-standard",
       "ERP standard SLA",
       A::SLA,
       "erp",
       "",
       "",
       "hamburg-office",
       {{30, 60, 240, 480}, {240, 480, 1440, 2400}},
       99.5},
      {"wms-standard",
       "Warehouse system SLA",
       A::SLA,
       "wms",
       "",
       "",
       "round-the-clock",
       {{15, 30, 120, 480}, {60, 240, 720, 2400}},
       99.9},
      {"tracking-standard",
       "Tracking portal standard SLA",
       A::SLA,
       "tracking-portal",
       "",
       "",
       "round-the-clock",
       {{30, 60, 240, 480}, {240, 480, 1440, 2880}},
       99.5},
      {"network-standard",
       "WAN and VPN SLA",
       A::SLA,
       "network",
       "",
       "",
       "round-the-clock",
       {{15, 60, 240, 480}, {120, 360, 1440, 2880}},
       99.9},
      {"email-standard",
       "E-mail SLA",
       A::SLA,
       "email",
       "",
       "",
       "hamburg-office",
       {{30, 60, 240, 480}, {240, 480, 960, 2400}},
       99.9},
      {"service-desk-standard",
       "Service desk SLA",
       A::SLA,
       "service-desk",
       "",
       "",
       "hamburg-office",
       {{15, 30, 120, 240}, {240, 480, 960, 2400}},
       0},
      {"erp-finance-gold",
       "ERP gold SLA for Finance",
       A::SLA,
       "erp",
       "finance",
       "",
       "round-the-clock",
       {{15, 30, 120, 240}, {120, 240, 960, 1920}},
       99.9},
      {"tracking-acme",
       "Tracking SLA for Acme Retail",
       A::SLA,
       "tracking-portal",
       "acme-retail",
       "",
       "hamburg-office",
       {{15, 30, 120, 240}, {120, 240, 600, 1200}},
       99.9},
      {"tracking-globex",
       "Tracking SLA for Globex",
       A::SLA,
       "tracking-portal",
       "globex",
       "",
       "new-york-office",
       {{30, 60, 240, 480}, {240, 480, 960, 2400}},
       99.5},
      {"tracking-initech",
       "Tracking SLA for Initech Asia",
       A::SLA,
       "tracking-portal",
       "initech-asia",
       "",
       "singapore-office",
       {{30, 60, 240, 480}, {240, 480, 1440, 2880}},
       99.5},
      {"erp-database-ola",
       "Database team OLA for the ERP",
       A::OLA,
       "erp",
       "",
       "database-team",
       "hamburg-office",
       {{20, 45, 180, 360}, {180, 420, 1200, 2160}},
       0},
      {"network-carrier-uc",
       "Carrier contract for WAN links",
       A::UNDERPINNING_CONTRACT,
       "network",
       "",
       "NordNet Carrier AG",
       "round-the-clock",
       {{30, 60, 240, 480}, {240, 480, 1440, 2880}},
       0},
  };
  return *seeds;
}

const AgreementSeed& SlaFor(const std::string& relationship, const std::string& service) {
  const AgreementSeed* fallback = nullptr;
  for (const auto& a : Agreements()) {
    if (a.type != v1::Agreement::SLA || service != a.service) continue;
    if (relationship == a.relationship) return a;
    if (std::string(a.relationship).empty()) fallback = &a;
  }
  return *fallback;
}

namespace {

v1::Calendar OfficeCalendar(const std::string& id, const std::string& name, const std::string& zone,
                            const std::string& start, const std::string& end,
                            const std::vector<std::tuple<int, int, const char*>>& holidays) {
  v1::Calendar c;
  c.set_name("calendars/" + id);
  c.set_display_name(name);
  c.set_time_zone(zone);
  for (auto day : {v1::MONDAY, v1::TUESDAY, v1::WEDNESDAY, v1::THURSDAY, v1::FRIDAY}) {
    auto* h = c.add_working_hours();
    h->set_day(day);
    h->set_start(start);
    h->set_end(end);
  }
  for (const auto& [month, day, holiday] : holidays) {
    auto* h = c.add_holidays();
    h->set_month(month);
    h->set_day(day);
    h->set_name(holiday);
  }
  return c;
}

}  // namespace

std::vector<v1::Calendar> Calendars() {
  std::vector<v1::Calendar> calendars = {
      OfficeCalendar("hamburg-office", "Hamburg office", "Europe/Berlin", "08:00", "18:00",
                     {{1, 1, "New Year"},
                      {5, 1, "Labour Day"},
                      {10, 3, "German Unity Day"},
                      {12, 25, "Christmas Day"},
                      {12, 26, "Boxing Day"}}),
      OfficeCalendar("new-york-office", "New York office", "America/New_York", "09:00", "17:00",
                     {{1, 1, "New Year's Day"}, {7, 4, "Independence Day"}, {12, 25, "Christmas"}}),
      OfficeCalendar("singapore-office", "Singapore office", "Asia/Singapore", "09:00", "18:00",
                     {{1, 1, "New Year's Day"}, {8, 9, "National Day"}, {12, 25, "Christmas"}}),
  };
  v1::Calendar always;
  always.set_name("calendars/round-the-clock");
  always.set_display_name("Around the clock");
  always.set_time_zone("UTC");
  always.set_round_the_clock(true);
  calendars.push_back(always);
  return calendars;
}

}  // namespace rapport::cli::demo
