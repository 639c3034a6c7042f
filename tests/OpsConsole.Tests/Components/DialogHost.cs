using AngleSharp.Dom;
using Bunit;

namespace OpsConsole.Tests.Components;

/// <summary>Reads what an inline dialog shows: MudBlazor renders its content in the dialog provider.</summary>
internal static class DialogHost
{
    public static IElement Button(this IRenderedComponent<MudBlazor.MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);

    public static IElement Dialog(this IRenderedComponent<MudBlazor.MudDialogProvider> dialogs) => dialogs.Find(".mud-dialog");

    /// <summary>The provider shows or removes an inline dialog a moment after its Visible changes.</summary>
    public static void WaitForDialogs(this IRenderedComponent<MudBlazor.MudDialogProvider> dialogs, int count) =>
        dialogs.WaitForAssertion(() => Assert.Equal(count, dialogs.FindAll(".mud-dialog").Count));
}
