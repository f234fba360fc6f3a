Attribute VB_Name = "RibbonRelance"
' The Relance ribbon's callbacks (addin/customUI.xml). addin/build.py writes this module into the
' add-in's VBA project, beside xlwings' own modules: nothing to import by hand (docs/excel.md).
'
' Each button is one RunPython call into relance_addin.ribbon (addin/relance_addin/ribbon.py),
' which works on the active workbook and answers in its language. Labels follow Excel's display
' language: French when it is French, English otherwise.
Option Explicit

Private Function IsFrench() As Boolean
    ' msoLanguageIDUI = 2; the primary language of every French locale (1036, 2060, 3084, 4108,
    ' 5132, 6156) is LANG_FRENCH = &H0C. An Excel that cannot tell answers in French.
    On Error GoTo Unknown
    IsFrench = ((Application.LanguageSettings.LanguageID(2) And &H3FF) = &HC)
    Exit Function
Unknown:
    IsFrench = True
End Function

Private Function Said(fr As String, en As String) As String
    If IsFrench() Then Said = fr Else Said = en
End Function

Sub GetLabel(control As IRibbonControl, ByRef label)
    Select Case control.ID
        Case "relanceTab": label = "Relance"
        Case "relanceFigures": label = Said("Chiffres", "Figures")
        Case "relanceReminders": label = Said("Relances", "Reminders")
        Case "relanceWorkbook": label = Said("Classeur", "Workbook")
        Case "relanceRefreshAging": label = Said("Recalculer les retards", "Refresh aging")
        Case "relanceDashboard": label = Said("Tableau de bord", "Update dashboard")
        Case "relancePreview": label = Said("Aperçu des relances", "Preview reminders")
        Case "relanceSendNow": label = Said("Envoyer maintenant", "Send now")
        Case "relanceCheck": label = Said("Vérifier le classeur", "Check workbook")
        Case "relanceHelp": label = Said("Aide", "Help")
    End Select
End Sub

Sub GetScreentip(control As IRibbonControl, ByRef screentip)
    GetLabel control, screentip
End Sub

Sub GetSupertip(control As IRibbonControl, ByRef supertip)
    Select Case control.ID
        Case "relanceRefreshAging": supertip = Said("Recalcule les colonnes RELANCE_... et affiche le total ouvert et échu.", _
            "Recalculates the RELANCE_... columns and shows the open and past-due totals.")
        Case "relanceDashboard": supertip = Said("Reconstruit l'onglet Tableau_de_bord (chiffres et graphiques).", _
            "Rebuilds the Dashboard tab (figures and charts).")
        Case "relancePreview": supertip = Said("Écrit le plan dans l'onglet A_valider. Rien n'est envoyé.", _
            "Writes the plan to the Plan tab. Nothing is sent.")
        Case "relanceSendNow": supertip = Said("Envoie maintenant ce qui est dû. Jamais deux fois la même relance.", _
            "Sends what is due now. Never the same reminder twice.")
        Case "relanceCheck": supertip = Said("Liste les lignes à corriger dans l'onglet Anomalies.", _
            "Lists the rows to fix in the Anomalies tab.")
        Case "relanceHelp": supertip = Said("Ce que fait chaque bouton.", "What each button does.")
    End Select
End Sub

Sub OnRefreshAging(control As IRibbonControl)
    RunPython "import relance_addin.ribbon as r; r.refresh_aging()"
End Sub

Sub OnUpdateDashboard(control As IRibbonControl)
    RunPython "import relance_addin.ribbon as r; r.update_dashboard()"
End Sub

Sub OnPreview(control As IRibbonControl)
    RunPython "import relance_addin.ribbon as r; r.preview()"
End Sub

Sub OnSendNow(control As IRibbonControl)
    If MsgBox(Said("Envoyer maintenant les relances dues pour ce classeur ?", _
                   "Send the reminders due for this workbook now?"), _
              vbYesNo + vbQuestion, "Relance") <> vbYes Then Exit Sub
    RunPython "import relance_addin.ribbon as r; r.send_now()"
End Sub

Sub OnCheck(control As IRibbonControl)
    RunPython "import relance_addin.ribbon as r; r.check()"
End Sub

Sub OnHelp(control As IRibbonControl)
    RunPython "import relance_addin.ribbon as r; r.show_help()"
End Sub
