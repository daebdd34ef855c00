// The kind of document a hold is made for. Names and order as the API declares them
// (functions/core/bc/custom-apis.ts: 'Sales Order', 'Purchase Order', 'Other').
enum 50100 "BCA Reservation Source Type"
{
    Extensible = false;

    value(0; "Sales Order")
    {
        Caption = 'Sales Order';
    }
    value(1; "Purchase Order")
    {
        Caption = 'Purchase Order';
    }
    value(2; Other)
    {
        Caption = 'Other';
    }
}
