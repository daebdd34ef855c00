// What a user or the app registration needs to call the itemReservations API (assign it in BC next to the
// permissions for purchase orders, e.g. D365 PURCH DOC, EDIT or D365 BUS FULL ACCESS).
permissionset 50100 "BCA ITEM RESERV"
{
    Assignable = true;
    Caption = 'BC Agent item reservations';

    Permissions =
        tabledata "BCA Item Reservation" = RIMD,
        table "BCA Item Reservation" = X,
        page "BCA API Item Reservations" = X,
        codeunit "BCA Item Reservation Mgt." = X,
        tabledata Item = R,
        tabledata Location = R,
        tabledata "Item Ledger Entry" = R,
        tabledata "Reservation Entry" = R,
        tabledata "Purchase Header" = R,
        tabledata "Sales Header" = R;
}
