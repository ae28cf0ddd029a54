#!/usr/bin/env node
// extract-schema-subset.js - cut the part of Shopify's Admin GraphQL SDL that
// shopify-emu implements out of the full introspected schema, so the
// emulator validates requests against the real field and argument lists
// without loading 3.5 MB at every start.
//
// Usage (from the repository root):
//   NODE_PATH=/usr/share/nodejs node tests/emulator/extract-schema-subset.js \
//     [FULL.graphql] > tests/emulator/shopify-admin-subset.graphql
// FULL defaults to ../shared/platform-specs/shopify/admin-2026-04.graphql.
//
// What the subset holds:
//  - every object/interface type the emulator answers (IMPLEMENTED below,
//    plus the connection/edge types of its connections, PageInfo, and the
//    interfaces those types implement) with its COMPLETE real field list,
//    arguments, default values and deprecations;
//  - the complete closure of input objects, enums and scalars used by any
//    argument of an implemented field, so variables and literals are
//    validated exactly;
//  - for everything else a stub marked @emuStub: an unimplemented field
//    keeps its real name and arguments, but the type it returns (and any
//    input object only it takes) is a one-field placeholder. The emulator
//    answers such fields with "shopify-emu: Type.field is not implemented".
// Descriptions are dropped. The output is checked to build as a valid
// schema before it is printed.
'use strict';
const fs = require('fs');
const path = require('path');
let g;
for (const base of [undefined, '/usr/share/nodejs/graphql']) {
  try { g = require(base || 'graphql'); break; } catch (e) { /* next */ }
}
if (!g) {
  console.error('extract-schema-subset: graphql-js not found (apt-get install node-graphql)');
  process.exit(2);
}
const K = g.Kind;

// The fields shopify-emu resolves. Keep in step with the resolver tables
// in shopify_emu_resolve.c (a field listed here but not resolved there is
// answered "not implemented", never silently null).
const IMPLEMENTED = {
  QueryRoot: 'shop orders order orderByIdentifier nodes node productVariants productVariant fulfillment fulfillmentOrder location',
  Mutation: 'orderCreate fulfillmentCreate fulfillmentTrackingInfoUpdate fulfillmentEventCreate fulfillmentCancel orderCancel orderUpdate tagsAdd tagsRemove',
  Shop: 'id name email contactEmail myshopifyDomain currencyCode ianaTimezone url taxesIncluded',
  Order: 'id legacyResourceId name number createdAt updatedAt processedAt cancelledAt cancelReason closed closedAt ' +
    'tags note email phone customAttributes sourceName sourceIdentifier currencyCode presentmentCurrencyCode ' +
    'totalPriceSet subtotalPriceSet totalTaxSet totalShippingPriceSet totalDiscountsSet currentTotalPriceSet ' +
    'currentSubtotalPriceSet currentTotalTaxSet currentTotalDiscountsSet currentShippingPriceSet totalReceivedSet ' +
    'totalOutstandingSet displayFinancialStatus displayFulfillmentStatus fullyPaid unpaid test taxesIncluded ' +
    'taxLines shippingAddress billingAddress shippingLine shippingLines lineItems fulfillments fulfillmentOrders ' +
    'customer metafield metafields discountCode discountCodes subtotalLineItemsQuantity ' +
    'currentSubtotalLineItemsQuantity requiresShipping fulfillable confirmed paymentGatewayNames edited',
  LineItem: 'id sku title name variantTitle vendor quantity currentQuantity unfulfilledQuantity fulfillableQuantity ' +
    'refundableQuantity nonFulfillableQuantity requiresShipping taxable isGiftCard variant product ' +
    'originalUnitPriceSet discountedUnitPriceSet originalTotalSet discountedTotalSet totalDiscountSet taxLines ' +
    'customAttributes fulfillmentStatus',
  Fulfillment: 'id legacyResourceId name status displayStatus createdAt updatedAt inTransitAt deliveredAt ' +
    'estimatedDeliveryAt trackingInfo fulfillmentLineItems events location order totalQuantity requiresShipping ' +
    'fulfillmentOrders',
  FulfillmentTrackingInfo: 'company number url',
  FulfillmentLineItem: 'id quantity lineItem',
  FulfillmentEvent: 'id status happenedAt createdAt message estimatedDeliveryAt address1 city province country zip latitude longitude',
  FulfillmentOrder: 'id status requestStatus assignedLocation lineItems supportedActions order orderId orderName ' +
    'orderProcessedAt createdAt updatedAt fulfillAt fulfillBy fulfillments fulfillmentHolds',
  FulfillmentOrderLineItem: 'id totalQuantity remainingQuantity lineItem sku variantTitle productTitle requiresShipping variant vendor',
  FulfillmentOrderAssignedLocation: 'location name',
  FulfillmentOrderSupportedAction: 'action',
  Location: 'id name legacyResourceId isActive',
  ProductVariant: 'id legacyResourceId sku title displayName price product barcode createdAt updatedAt taxable',
  Product: 'id legacyResourceId title status handle vendor productType tags createdAt updatedAt variants totalVariants',
  MailingAddress: 'id address1 address2 city company country countryCodeV2 countryCode firstName lastName name phone province provinceCode zip',
  ShippingLine: 'id title code source originalPriceSet discountedPriceSet currentDiscountedPriceSet taxLines custom isRemoved',
  TaxLine: 'title rate ratePercentage priceSet channelLiable',
  MoneyBag: 'shopMoney presentmentMoney',
  MoneyV2: 'amount currencyCode',
  Attribute: 'key value',
  Metafield: 'id namespace key value type createdAt updatedAt',
  Customer: 'id email firstName lastName displayName phone note tags defaultAddress',
  OrderCreatePayload: 'order userErrors',
  OrderCreateUserError: 'code field message',
  UserError: 'field message',
  FulfillmentCreatePayload: 'fulfillment userErrors',
  FulfillmentTrackingInfoUpdatePayload: 'fulfillment userErrors',
  FulfillmentEventCreatePayload: 'fulfillmentEvent userErrors',
  FulfillmentCancelPayload: 'fulfillment userErrors',
  OrderCancelPayload: 'job orderCancelUserErrors userErrors',
  OrderCancelUserError: 'code field message',
  Job: 'id done',
  OrderUpdatePayload: 'order userErrors',
  TagsAddPayload: 'node userErrors',
  TagsRemovePayload: 'node userErrors',
  Node: 'id',
  PageInfo: 'hasNextPage hasPreviousPage startCursor endCursor',
};

const src = process.argv[2] ||
  path.join(__dirname, '..', '..', '..', 'shared', 'platform-specs', 'shopify', 'admin-2026-04.graphql');
const full = g.parse(fs.readFileSync(src, 'utf8'), { noLocation: true });
const defs = new Map();
let schemaDef = null;
const directiveDefs = [];
for (const d of full.definitions) {
  if (d.kind === K.SCHEMA_DEFINITION) schemaDef = d;
  else if (d.kind === K.DIRECTIVE_DEFINITION) directiveDefs.push(d);
  else if (d.name) defs.set(d.name.value, d);
}
const namedOf = (t) => { while (t.kind !== K.NAMED_TYPE) t = t.type; return t.name.value; };
const isOutputComposite = (d) => d && (d.kind === K.OBJECT_TYPE_DEFINITION ||
  d.kind === K.INTERFACE_TYPE_DEFINITION || d.kind === K.UNION_TYPE_DEFINITION);

// 1. Types answered in full.
const fullTypes = new Set();
const implemented = new Map();
for (const [t, list] of Object.entries(IMPLEMENTED)) {
  if (!defs.has(t)) throw new Error(`IMPLEMENTED names unknown type ${t}`);
  const fields = new Set(list.split(/\s+/).filter(Boolean));
  const d = defs.get(t);
  for (const f of fields)
    if (!d.fields.some((x) => x.name.value === f)) throw new Error(`IMPLEMENTED names unknown field ${t}.${f}`);
  implemented.set(t, fields);
  fullTypes.add(t);
}
// Connection/Edge types of implemented fields are answered by the generic
// connection code, so they (and their node types) are full too.
let changed = true;
while (changed) {
  changed = false;
  for (const t of [...fullTypes]) {
    const d = defs.get(t);
    const impl = implemented.get(t);
    for (const f of d.fields || []) {
      const generic = /(Connection|Edge)$/.test(t);
      if (!generic && !(impl && impl.has(f.name.value))) continue;
      const rt = namedOf(f.type);
      if (isOutputComposite(defs.get(rt)) && !fullTypes.has(rt)) {
        fullTypes.add(rt);
        changed = true;
      }
    }
    for (const i of d.interfaces || []) {
      if (!fullTypes.has(i.name.value)) { fullTypes.add(i.name.value); changed = true; }
    }
  }
}
for (const t of fullTypes) {
  const d = defs.get(t);
  if (d.kind === K.UNION_TYPE_DEFINITION)
    throw new Error(`union ${t} reached in full: list its members in IMPLEMENTED`);
}

// 2. Exact input closure: every argument of an implemented field.
const exactInputs = new Set();
function addInput(name) {
  const d = defs.get(name);
  if (!d || exactInputs.has(name)) return;
  exactInputs.add(name);
  if (d.kind === K.INPUT_OBJECT_TYPE_DEFINITION)
    for (const f of d.fields) addInput(namedOf(f.type));
}
for (const t of fullTypes) {
  const d = defs.get(t);
  const impl = implemented.get(t);
  for (const f of d.fields || []) {
    const generic = /(Connection|Edge)$/.test(t);
    if (!generic && !(impl && impl.has(f.name.value))) continue;
    for (const a of f.arguments || []) addInput(namedOf(a.type));
  }
}

// 3. Emit.
const out = [];
const emitted = new Set();
const stubDirective = (name) => ({ kind: K.DIRECTIVE, name: { kind: K.NAME, value: name }, arguments: [] });
const stubField = {
  kind: K.FIELD_DEFINITION, name: { kind: K.NAME, value: '_emuStub' }, arguments: [],
  type: { kind: K.NAMED_TYPE, name: { kind: K.NAME, value: 'Boolean' } }, directives: [],
};
const stubInputField = { ...stubField, kind: K.INPUT_VALUE_DEFINITION };
const pending = [];
function want(name) { if (!emitted.has(name)) pending.push(name); }
function strip(node) {
  // Drop descriptions everywhere below node (a shallow structural copy).
  if (Array.isArray(node)) return node.map(strip);
  if (!node || typeof node !== 'object') return node;
  const o = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'description' && k !== 'loc') o[k] = strip(v);
  return o;
}
function emit(name) {
  if (emitted.has(name)) return;
  emitted.add(name);
  const d = defs.get(name);
  if (!d) throw new Error(`unknown type ${name}`);
  switch (d.kind) {
  case K.SCALAR_TYPE_DEFINITION:
  case K.ENUM_TYPE_DEFINITION:
    out.push(strip(d));
    return;
  case K.INPUT_OBJECT_TYPE_DEFINITION:
    if (exactInputs.has(name)) {
      out.push(strip(d));
      for (const f of d.fields) want(namedOf(f.type));
    } else {
      out.push({ kind: d.kind, name: d.name, directives: [stubDirective('emuStub')], fields: [stubInputField] });
    }
    return;
  case K.OBJECT_TYPE_DEFINITION:
  case K.INTERFACE_TYPE_DEFINITION:
    if (fullTypes.has(name)) {
      const c = strip(d);
      c.interfaces = (c.interfaces || []).filter((i) => fullTypes.has(i.name.value));
      out.push(c);
      for (const i of c.interfaces) want(i.name.value);
      for (const f of d.fields) {
        want(namedOf(f.type));
        for (const a of f.arguments || []) want(namedOf(a.type));
      }
    } else {
      out.push({ kind: d.kind, name: d.name, interfaces: [], directives: [stubDirective('emuStub')], fields: [stubField] });
    }
    return;
  case K.UNION_TYPE_DEFINITION:
    out.push({ ...strip(d), directives: [stubDirective('emuStub')] });
    for (const m of d.types) want(m.name.value);
    return;
  default:
    throw new Error(`unexpected definition kind ${d.kind} for ${name}`);
  }
}
for (const t of [...fullTypes].sort()) want(t);
for (const s of ['String', 'Boolean', 'Int', 'Float', 'ID']) emitted.add(s);
while (pending.length) emit(pending.pop());

const directives = directiveDefs.map(strip);
directives.push(g.parse('directive @emuStub on OBJECT | INTERFACE | UNION | INPUT_OBJECT').definitions[0]);
out.sort((a, b) => a.name.value.localeCompare(b.name.value));
const docOut = { kind: K.DOCUMENT, definitions: [strip(schemaDef), ...directives, ...out] };
const text = g.print(docOut) + '\n';
const built = g.buildSchema(text);
g.assertValidSchema(built);
const nStub = out.filter((d) => (d.directives || []).some((x) => x.name.value === 'emuStub')).length;
process.stdout.write('# Shopify Admin GraphQL 2026-04: the subset shopify-emu implements.\n' +
  '# GENERATED by tests/emulator/extract-schema-subset.js from ' +
  'platform-specs/shopify/admin-2026-04.graphql; do not edit by hand.\n' +
  `# ${out.length - nStub} complete types, ${nStub} @emuStub placeholders (not implemented).\n\n` + text);
