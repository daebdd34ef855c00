// GET/POST/DELETE /api/bcagent/inventory/v1.0/companies({id})/itemReservations[({id})]
// The contract is functions/core/bc/custom-apis.ts (itemReservationsApi): these field names, read-only `id` and
// `lastModifiedDateTime`, no PATCH. The saga (functions/core/saga) filters on sourceType + sourceId to find an
// order's holds and on itemId to see what is already held, posts one hold per order line with a description
// that names the line, and deletes them one by one to release them.
page 50100 "BCA API Item Reservations"
{
    PageType = API;
    APIPublisher = 'bcagent';
    APIGroup = 'inventory';
    APIVersion = 'v1.0';
    EntityName = 'itemReservation';
    EntitySetName = 'itemReservations';
    EntityCaption = 'Item Reservation';
    EntitySetCaption = 'Item Reservations';
    SourceTable = "BCA Item Reservation";
    ODataKeyFields = SystemId;
    DelayedInsert = true;
    InsertAllowed = true;
    ModifyAllowed = false;
    DeleteAllowed = true;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(itemId; Rec."Item Id")
                {
                    Caption = 'Item Id';
                }
                field(itemNumber; Rec."Item No.")
                {
                    Caption = 'Item No.';
                }
                field(locationId; Rec."Location Id")
                {
                    Caption = 'Location Id';
                }
                field(locationCode; Rec."Location Code")
                {
                    Caption = 'Location Code';
                }
                field(quantity; Rec.Quantity)
                {
                    Caption = 'Quantity';
                }
                field(sourceType; Rec."Source Type")
                {
                    Caption = 'Source Type';
                }
                field(sourceId; Rec."Source Id")
                {
                    Caption = 'Source Id';
                }
                field(sourceNumber; Rec."Source No.")
                {
                    Caption = 'Source No.';
                }
                field(description; Rec.Description)
                {
                    Caption = 'Description';
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                    Editable = false;
                }
            }
        }
    }

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // The table's OnInsert resolves ids and numbers and checks availability (ItemReservationMgt.Codeunit.al).
        Rec.Insert(true);
        exit(false);
    end;
}
