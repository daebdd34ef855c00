// Makes and releases holds (table 50100 "BCA Item Reservation").
//
// Why not Reservation Entry (table 337): BC's reservations pair a demand (a sales line, a component) with a
// supply (inventory, a purchase line) through "Create Reserv. Entry" and "Reservation Management", one entry on
// each side. The saga holds on-hand stock for a purchase order, which is itself supply, so there is no demand
// line to pair it with. The holds live in the extension's own table instead, and the availability they are
// checked against counts BC's own reservations on inventory too, so neither side can promise the same stock.
//
// CompleteAndCheck runs on every insert (the table's OnInsert): it resolves the item, location and source
// document from ids or numbers/codes (as API v2.0 pages accept either), refuses what BC would refuse, and
// refuses a hold larger than what is available at the location. Holds are released by deleting them (the API's
// DELETE), and automatically when their source document is deleted, which is also what posting an order in
// full does to it.
codeunit 50100 "BCA Item Reservation Mgt."
{
    Permissions = tabledata "BCA Item Reservation" = rimd;

    var
        ItemOrNumberRequiredErr: Label 'An itemId or an itemNumber must be provided';
        LocationOrCodeRequiredErr: Label 'A locationId or a locationCode must be provided';
        QuantityMustBePositiveErr: Label 'Quantity must be positive in Reservation Entry';
        NotInventoryErr: Label 'Type must be equal to ''Inventory''  in Item: No.=%1. Current value is ''%2''', Comment = '%1 = item number, %2 = item type';
        SourceRequiredErr: Label 'Field ''sourceId'' must not be blank or empty';
        SourceNotFoundErr: Label 'The %1 does not exist. Identification fields and values: Id=''%2''', Comment = '%1 = source type, %2 = source id';
        NotAvailableErr: Label 'You cannot reserve %1 of Item %2 at location %3: only %4 is available', Comment = '%1 = quantity, %2 = item number, %3 = location code, %4 = available quantity';

    /// Fills in the ids and numbers of the item, location and source document, then checks the hold.
    procedure CompleteAndCheck(var Reservation: Record "BCA Item Reservation")
    var
        Item: Record Item;
        Location: Record Location;
    begin
        ResolveItem(Reservation, Item);
        ResolveLocation(Reservation, Location);
        if Reservation.Quantity <= 0 then
            Error(QuantityMustBePositiveErr);
        Item.TestField(Blocked, false);
        if Item.Type <> Item.Type::Inventory then
            Error(NotInventoryErr, Item."No.", Item.Type);
        ResolveSource(Reservation);
        CheckAvailable(Reservation, Item);
    end;

    /// What may still be held of the item at the location: on hand, less BC's own reservations on inventory,
    /// less the holds already made through this API.
    procedure Available(var Item: Record Item; LocationCode: Code[10]): Decimal
    var
        Held: Record "BCA Item Reservation";
    begin
        Item.SetRange("Location Filter", LocationCode);
        Item.CalcFields(Inventory, "Reserved Qty. on Inventory");
        Held.SetCurrentKey("Item No.", "Location Code");
        Held.SetRange("Item No.", Item."No.");
        Held.SetRange("Location Code", LocationCode);
        Held.CalcSums(Quantity);
        exit(Item.Inventory - Item."Reserved Qty. on Inventory" - Held.Quantity);
    end;

    /// Releases every hold made for a source document.
    procedure ReleaseFor(SourceType: Enum "BCA Reservation Source Type"; SourceId: Guid)
    var
        Held: Record "BCA Item Reservation";
    begin
        if IsNullGuid(SourceId) then
            exit;
        Held.SetCurrentKey("Source Type", "Source Id");
        Held.SetRange("Source Type", SourceType);
        Held.SetRange("Source Id", SourceId);
        Held.DeleteAll();
    end;

    local procedure ResolveItem(var Reservation: Record "BCA Item Reservation"; var Item: Record Item)
    begin
        if not IsNullGuid(Reservation."Item Id") then
            Item.GetBySystemId(Reservation."Item Id")
        else
            if Reservation."Item No." <> '' then
                Item.Get(Reservation."Item No.")
            else
                Error(ItemOrNumberRequiredErr);
        Reservation."Item Id" := Item.SystemId;
        Reservation."Item No." := Item."No.";
    end;

    local procedure ResolveLocation(var Reservation: Record "BCA Item Reservation"; var Location: Record Location)
    begin
        if not IsNullGuid(Reservation."Location Id") then
            Location.GetBySystemId(Reservation."Location Id")
        else
            if Reservation."Location Code" <> '' then
                Location.Get(Reservation."Location Code")
            else
                Error(LocationOrCodeRequiredErr);
        Reservation."Location Id" := Location.SystemId;
        Reservation."Location Code" := Location.Code;
    end;

    local procedure ResolveSource(var Reservation: Record "BCA Item Reservation")
    var
        PurchaseHeader: Record "Purchase Header";
        SalesHeader: Record "Sales Header";
    begin
        case Reservation."Source Type" of
            Reservation."Source Type"::"Purchase Order":
                begin
                    if IsNullGuid(Reservation."Source Id") then
                        Error(SourceRequiredErr);
                    if not PurchaseHeader.GetBySystemId(Reservation."Source Id") or (PurchaseHeader."Document Type" <> PurchaseHeader."Document Type"::Order) then
                        Error(SourceNotFoundErr, Reservation."Source Type", Reservation."Source Id");
                    Reservation."Source No." := PurchaseHeader."No.";
                end;
            Reservation."Source Type"::"Sales Order":
                begin
                    if IsNullGuid(Reservation."Source Id") then
                        Error(SourceRequiredErr);
                    if not SalesHeader.GetBySystemId(Reservation."Source Id") or (SalesHeader."Document Type" <> SalesHeader."Document Type"::Order) then
                        Error(SourceNotFoundErr, Reservation."Source Type", Reservation."Source Id");
                    Reservation."Source No." := SalesHeader."No.";
                end;
        end;
    end;

    local procedure CheckAvailable(var Reservation: Record "BCA Item Reservation"; var Item: Record Item)
    var
        Free: Decimal;
    begin
        // Holds of one item at one location are checked one at a time, so two concurrent requests cannot both
        // take the last units: the lock is held until the inserting transaction commits.
        Reservation.LockTable();
        Free := Available(Item, Reservation."Location Code");
        if Reservation.Quantity > Free then
            Error(NotAvailableErr, Reservation.Quantity, Item."No.", Reservation."Location Code", Free);
    end;

    // A deleted order (deleted by a user, by the saga's compensation, or by posting it in full) keeps no holds.
    [EventSubscriber(ObjectType::Table, Database::"Purchase Header", 'OnAfterDeleteEvent', '', false, false)]
    local procedure ReleaseOnPurchaseHeaderDelete(var Rec: Record "Purchase Header"; RunTrigger: Boolean)
    begin
        if Rec.IsTemporary() or (Rec."Document Type" <> Rec."Document Type"::Order) then
            exit;
        ReleaseFor(Enum::"BCA Reservation Source Type"::"Purchase Order", Rec.SystemId);
    end;

    [EventSubscriber(ObjectType::Table, Database::"Sales Header", 'OnAfterDeleteEvent', '', false, false)]
    local procedure ReleaseOnSalesHeaderDelete(var Rec: Record "Sales Header"; RunTrigger: Boolean)
    begin
        if Rec.IsTemporary() or (Rec."Document Type" <> Rec."Document Type"::Order) then
            exit;
        ReleaseFor(Enum::"BCA Reservation Source Type"::"Sales Order", Rec.SystemId);
    end;
}
