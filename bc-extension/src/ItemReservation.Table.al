// One hold on on-hand inventory: a quantity of an item at a location, for a source document. The API page
// (ItemReservations.Page.al) is the only way in; the codeunit (ItemReservationMgt.Codeunit.al) checks every
// insert, so a hold never exceeds what is available. Ids are the SystemIds of the item, location and source
// document (what the API v2.0 pages expose as `id`), numbers and codes are kept beside them for people.
table 50100 "BCA Item Reservation"
{
    Caption = 'BC Agent Item Reservation';
    DataClassification = CustomerContent;
    LookupPageId = "BCA API Item Reservations";
    DrillDownPageId = "BCA API Item Reservations";

    fields
    {
        field(1; "Entry No."; Integer)
        {
            Caption = 'Entry No.';
            AutoIncrement = true;
        }
        field(2; "Item No."; Code[20])
        {
            Caption = 'Item No.';
            TableRelation = Item;
        }
        field(3; "Item Id"; Guid)
        {
            Caption = 'Item Id';
        }
        field(4; "Location Code"; Code[10])
        {
            Caption = 'Location Code';
            TableRelation = Location;
        }
        field(5; "Location Id"; Guid)
        {
            Caption = 'Location Id';
        }
        field(6; Quantity; Decimal)
        {
            Caption = 'Quantity';
            DecimalPlaces = 0 : 5;
            MinValue = 0;
        }
        field(7; "Source Type"; Enum "BCA Reservation Source Type")
        {
            Caption = 'Source Type';
        }
        field(8; "Source Id"; Guid)
        {
            Caption = 'Source Id';
        }
        field(9; "Source No."; Code[20])
        {
            Caption = 'Source No.';
        }
        field(10; Description; Text[100])
        {
            Caption = 'Description';
        }
    }

    keys
    {
        key(PK; "Entry No.")
        {
            Clustered = true;
        }
        key(Source; "Source Type", "Source Id")
        {
        }
        // What is already held per item and location: the availability check sums it.
        key(ItemLocation; "Item No.", "Location Code")
        {
            SumIndexFields = Quantity;
        }
    }

    trigger OnInsert()
    var
        ReservationMgt: Codeunit "BCA Item Reservation Mgt.";
    begin
        ReservationMgt.CompleteAndCheck(Rec);
    end;

    trigger OnModify()
    begin
        // A hold is made or released, never changed: a changed quantity would bypass the availability check.
        Error(HoldsAreImmutableErr);
    end;

    var
        HoldsAreImmutableErr: Label 'An item reservation cannot be changed; delete it and reserve again.';
}
