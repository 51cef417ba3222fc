// Placeholder until the notebook UI lands.
document.getElementById('app')!.textContent = 'L0 notebook agent';
