"""A small metadata tree that exercises every rule of the records service."""

ACCOUNT = """\
entity: account
label: Account
plural: Accounts
title_field: name
numbering: {field: number, pattern: "{tenant.license}-{seq:04d}"}
statuses:
  initial: draft
  states:
    draft: {label: Draft}
    confirmed: {label: Confirmed, locked: [name]}
    closed: {label: Closed, locked: all}
  actions:
    confirm: {label: Confirm, from: [draft], to: confirmed}
    close: {label: Close, from: [confirmed], to: closed}
delete: when_unreferenced
unique_together: [[name, opened]]
lines:
  branches: {entity: branch, link: account, label: Branches, sequence: 90, group: MORE}
fields:
  - {name: number, sequence: 1, label: Number, input_type: text, group: MAIN, unique: true,
     required: true, searchable: true, in_list: true}
  - {name: name, sequence: 2, label: Name, input_type: text, group: MAIN, required: true,
     searchable: true, max_length: 40, in_list: true}
  - {name: currency, sequence: 3, label: Currency, input_type: select, group: MAIN,
     options: [EUR, USD], set_once: true}
  - {name: credit_limit, sequence: 4, label: Credit Limit, input_type: currency, group: MAIN,
     min: 0}
  - {name: opened, sequence: 5, label: Opened, input_type: date, group: MAIN}
  - {name: kind, sequence: 6, label: Kind, input_type: select, group: MAIN,
     options: [company, person], default: company, in_list: true}
  - {name: tax_id, sequence: 7, label: Tax Id, input_type: text, group: MAIN,
     required_if: "kind == 'company' and credit_limit > 1000"}
  - {name: nickname, sequence: 8, label: Nickname, input_type: text, group: MAIN,
     required: true, visible_if: "kind == 'person'"}
  - {name: region, sequence: 9, label: Region, input_type: lookup, group: MAIN,
     lookup: {entity: region, show: code, fetch: {region_code: code}}, in_list: true}
  - {name: region_code, sequence: 10, label: Region Code, input_type: text, group: MAIN,
     read_only: true}
  - {name: note, sequence: 11, label: Note, input_type: textarea, group: MORE, copy: false}
  - {name: logo, sequence: 12, label: Logo, input_type: image, group: MORE}
"""
BRANCH = """\
entity: branch
label: Branch
plural: Branches
delete: soft
fields:
  - {name: account, sequence: 1, label: Account, input_type: lookup, group: MAIN,
     lookup: {entity: account, fetch: {currency: currency}}}
  - {name: city, sequence: 2, label: City, input_type: text, group: MAIN, required: true}
  - {name: staff, sequence: 3, label: Staff, input_type: integer, group: MAIN, min: 0}
  - {name: currency, sequence: 4, label: Currency, input_type: text, group: MAIN}
"""
REGION = """\
entity: region
label: Region
plural: Regions
delete: never
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, required: true}
"""
# Sections and tabs in one order, as the groups' `order` says: a tab at 35 among sections
# at 10 and 40, then two tabs at 80 and 90 after them.
SURVEY = """\
entity: survey
label: Survey
plural: Surveys
groups:
  EARLY: {label: Early, order: 35, layout: tab}
  PLANNING: {label: Planning, order: 40, layout: section}
  EMPTY: {label: Empty, order: 85, layout: section}
  LINES: {label: Lines, order: 80, layout: tab}
  REFERENCE: {label: Reference, order: 90, layout: tab}
fields:
  - {name: ref, sequence: 1, label: Ref, input_type: text, group: REFERENCE}
  - {name: lines_note, sequence: 1, label: Lines Note, input_type: text, group: LINES}
  - {name: plan, sequence: 1, label: Plan, input_type: text, group: PLANNING}
  - {name: early, sequence: 1, label: Early Note, input_type: text, group: EARLY}
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN}
  - {name: hidden_one, sequence: 1, label: Hidden, input_type: text, group: EMPTY, hidden: true}
"""
# a crew of one to three members: lines with min_rows and max_rows
CREW = """\
entity: crew
label: Crew
plural: Crews
title_field: name
lines:
  members: {entity: member, link: crew, label: Members, sequence: 20, group: MAIN,
            min_rows: 1, max_rows: 3}
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true}
"""
MEMBER = """\
entity: member
label: Member
plural: Members
fields:
  - {name: crew, sequence: 1, label: Crew, input_type: lookup, group: MAIN,
     lookup: {entity: crew}}
  - {name: person, sequence: 2, label: Person, input_type: text, group: MAIN, required: true}
  - {name: shift, sequence: 3, label: Shift, input_type: select, group: MAIN,
     options: [{value: day, label: Day}, {value: night, label: Night}]}
"""
FILES = {
    "entities/account.yaml": ACCOUNT,
    "entities/branch.yaml": BRANCH,
    "entities/region.yaml": REGION,
    "tenants/u/tenant.yaml": "tenant: u\nlabel: U\nsettings: {license: '77'}\n",
}
