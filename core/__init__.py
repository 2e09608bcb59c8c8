"""Pure building blocks shared by workflows, activities, the API and the emulators."""
